-- 0012_gpra_grant_case: GPRA grant numbers are case-insensitive (core/gpra.c, invariant 4). Before, an
-- intake under `SM-1` and a follow-up under `sm-1` made two clients with two pseudonyms, and neither
-- grant's export or follow-up rate was right. Interviews are now upper-cased when recorded and when
-- applied; this upper-cases the ones a journal already holds, so they match what applying the same events
-- gives now (a rebuild, another device).
--
-- ASCII letters only, by hand rather than upper(), which an ICU build of SQLite would extend to other
-- letters: apply (grant_upper in gpra.c) changes exactly a-z, and the two must agree.
--
-- Nothing is lost or merged away: interviews are keyed by their id, and nothing is unique per (client,
-- grant, type). Rows that now name the same client and grant simply count together, by the rules that
-- already held for one grant: the client's intake date is their first conducted intake, the follow-up
-- the first conducted one in the window. Grants already upper-case are untouched, and so are the
-- pseudonyms of their exports; a lower-case grant's client takes the upper-case grant's pseudonym.
UPDATE gpra_interviews SET grant_no =
  replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
  replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
    grant_no,
    'a', 'A'), 'b', 'B'), 'c', 'C'), 'd', 'D'), 'e', 'E'), 'f', 'F'), 'g', 'G'),
    'h', 'H'), 'i', 'I'), 'j', 'J'), 'k', 'K'), 'l', 'L'), 'm', 'M'), 'n', 'N'),
    'o', 'O'), 'p', 'P'), 'q', 'Q'), 'r', 'R'), 's', 'S'), 't', 'T'), 'u', 'U'),
    'v', 'V'), 'w', 'W'), 'x', 'X'), 'y', 'Y'), 'z', 'Z')
WHERE grant_no GLOB '*[a-z]*';
