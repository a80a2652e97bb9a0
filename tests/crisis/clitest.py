"""clitest.py — what the crisis tests share: a private journal directory, a cairn runner, check()."""
import os
import subprocess
import sys
import tempfile


class Cli:
    """One journal in a private temporary directory, driven through the real `cairn` binary."""

    def __init__(self, cairn, prefix):
        os.environ["TZ"] = "UTC"
        self.cairn = cairn
        self.tmp = tempfile.mkdtemp(prefix=prefix)
        os.chmod(self.tmp, 0o700)
        self.passfile = os.path.join(self.tmp, "pass")
        with open(self.passfile, "w") as f:
            f.write("pw\n")
        os.chmod(self.passfile, 0o600)
        self.dir = os.path.join(self.tmp, "j")
        self.failures = 0

    def check(self, ok, what):
        if not ok:
            self.failures += 1
            print("FAIL: " + what, file=sys.stderr)

    def run(self, *args, ok=True):
        r = subprocess.run([self.cairn, "--dir", self.dir, "--passphrase-file", self.passfile] + list(args),
                           capture_output=True, text=True)
        if ok and r.returncode != 0:
            raise SystemExit("cairn %s failed (%d): %s" % (" ".join(args), r.returncode, r.stderr))
        return r
