/*
 * fuzz_event.h — what fuzz_event.c and the corpus generator share: the input layout.
 *
 * An input is up to FUZZ_EVENT_MAX events, each
 *   u8 who     device = who % 3 (three fixed devices), entity = (who >> 2) % 5 (fixed ids; the last one
 *              is not a UUID)
 *   u8 step    this event's clock: the device's previous hlc + 1 + step ms (so, as from any honest
 *              device, no two events of a device share an hlc); 0xff: + 48 hours (a clock far ahead)
 *   kind NUL   at most 64 bytes
 *   body NUL   JSON text, at most 8 KiB (the last body may end at the end of the input instead)
 * Seqs count per device from 1. The entity ids are listed in fuzz_event_entities, so seeds (and
 * mutations) can name them in bodies: "contact", "other".
 */
#ifndef CAIRN_FUZZ_EVENT_H
#define CAIRN_FUZZ_EVENT_H

#define FUZZ_EVENT_MAX 8
#define FUZZ_EVENT_DEVICES 3
#define FUZZ_EVENT_ENTITIES 5
#define FUZZ_EVENT_FAR_AHEAD 0xff

static const char *const fuzz_event_devices[FUZZ_EVENT_DEVICES] = {
        "0123456789abcdef",
        "fedcba9876543210",
        "00000000000000ff",
};

static const char *const fuzz_event_entities[FUZZ_EVENT_ENTITIES] = {
        "01890a5d-ac96-774b-bcce-b302099a8057", "01890a5d-ac96-774b-bcce-b302099a8058",
        "01890a5d-ac96-774b-bcce-b302099a8059", "01890a5d-ac96-774b-bcce-b302099a805a",
        "01890a5d-ac96-774b-bcce-not-a-uuid!",
};

#endif
