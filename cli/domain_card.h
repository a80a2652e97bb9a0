/*
 * domain_card.h — the issue-6 parts of a person's record on `contact show`: goals, group attendance,
 * assessments and consents, added to the library's contact document and drawn on the card.
 */
#ifndef CAIRN_CLI_DOMAIN_CARD_H
#define CAIRN_CLI_DOMAIN_CARD_H

#include <jansson.h>

#include "args.h"
#include "output.h"
#include "session.h"

/* Add "goals", "groups", "assessments" and "consents" of contact `id` to the JSON text *text (replaced;
 * the old text is wiped). Returns 0 or a CAIRN_E* code. */
int domain_card_extend(struct cli_ctx *ctx, const char *id, char **text);
/* Draw those parts for humans, after the notes and referrals. */
void domain_card_render(struct cli_ctx *ctx, const json_t *doc);

/* A goal's status as shown (`goal` is an element of cairn_goal_list): its status, or when its status was
 * changed on two devices that had not seen each other, "conflict: S1 | S2" (the competing statuses,
 * newest first). Truncated to fit `n` bytes. */
void domain_goal_status(const json_t *goal, char *buf, size_t n);

/* `list [--contact ID]` of a record family: resolve the optional contact (one person's list is audited as
 * `what`, "goal list": see session_view_contact), run `fn` (contact NULL: all), print with
 * `render(ctx, doc)` or as JSON. Returns an exit code. */
typedef int (*domain_list_fn)(cairn_journal *j, const char *contact, char **out);
int domain_list_by_contact(struct cli_ctx *ctx, const struct cli_args *a, const char *what, domain_list_fn fn,
                           out_render_fn render);

#endif
