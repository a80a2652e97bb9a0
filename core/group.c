/*
 * group.c — peer-led support group sessions: date, topic, facilitator and attendees. A session is
 * immutable (group.session, keyed by its id); attendance rows let each attendee's record list it.
 */
/* Laid out by hand: SQL assembled from macros and literals, which clang-format 14 cannot lay out. */
/* clang-format off */
#include "domain.h"

#include <string.h>

static int apply_session(cairn_journal *j, const cairn_event *ev, json_t *body)
{
	json_t *att = json_object_get(body, "attendees"), *minutes = json_object_get(body, "minutes"), *v;
	sqlite3_stmt *st;
	size_t i;
	int rc;
	if (!json_is_string(json_object_get(body, "date")) || !json_is_string(json_object_get(body, "topic")) ||
	    !json_is_string(json_object_get(body, "facilitator")) || !json_is_array(att))
		return cairn__apply_bad(ev, "date, topic, facilitator and attendees are required");
	rc = cairn__prepare(j, &st,
	                    "INSERT INTO group_sessions (entity, date, topic, facilitator, minutes, hlc, device) "
	                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
	                    CAIRN__FIRST_WRITER_WINS("group_sessions",
	                        "date = excluded.date, "
	                        "topic = excluded.topic, "
	                        "facilitator = excluded.facilitator, "
	                        "minutes = excluded.minutes"));
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, ev->entity, -1, SQLITE_STATIC);
	cairn__bind_json_str(st, 2, json_object_get(body, "date"));
	cairn__bind_json_str(st, 3, json_object_get(body, "topic"));
	cairn__bind_json_str(st, 4, json_object_get(body, "facilitator"));
	if (json_is_integer(minutes))
		sqlite3_bind_int64(st, 5, json_integer_value(minutes));
	sqlite3_bind_int64(st, 6, (int64_t)ev->hlc);
	sqlite3_bind_text(st, 7, ev->device, -1, SQLITE_STATIC);
	if ((rc = cairn__step_done(j, st, "recording a group session")))
		return rc;
	json_array_foreach(att, i, v)
	{
		if (!json_is_string(v))
			return cairn__apply_bad(ev, "an attendee is not a contact id");
		if ((rc = cairn__prepare(j, &st, "INSERT OR IGNORE INTO group_attendance (session, contact) VALUES (?1, ?2)")))
			return rc;
		sqlite3_bind_text(st, 1, ev->entity, -1, SQLITE_STATIC);
		cairn__bind_json_str(st, 2, v);
		if ((rc = cairn__step_done(j, st, "recording attendance")))
			return rc;
	}
	return 0;
}

static int add_locked(cairn_journal *j, json_t *o, cairn_event_info *info)
{
	json_t *v;
	size_t i;
	int rc;
	json_array_foreach(json_object_get(o, "attendees"), i, v)
	{
		if ((rc = cairn__need(j, "contacts", "contact", json_string_value(v))))
			return rc;
	}
	return cairn__append_json(j, "group.session", NULL, o, info);
}

int cairn_group_add(cairn_journal *j, const char *fields_json, char id_out[CAIRN_ID_LEN])
{
	cairn_event_info info;
	json_t *o = cairn__parse_object(fields_json, "group session fields"), *min;
	int rc;
	if (!o)
		return CAIRN_EINVAL;
	min = json_object_get(o, "minutes");
	if ((rc = cairn__req_str(o, "topic", NULL, 0, 200)) || (rc = cairn__req_str(o, "facilitator", NULL, 0, 200)) ||
	    (rc = cairn__date_member(o, "date")) || (rc = cairn__str_array(o, "attendees", 1, 200, 36)))
		goto out;
	if (min && !json_is_null(min) &&
	    (!json_is_integer(min) || json_integer_value(min) < 0 || json_integer_value(min) > 1440)) {
		rc = cairn__error(CAIRN_EINVAL, "minutes must be a whole number from 0 to 1440");
		goto out;
	}
	if (!(rc = cairn__txn_begin(j))) {
		rc = cairn__txn_end(j, add_locked(j, o, &info));
		if (!rc && id_out)
			memcpy(id_out, info.entity, CAIRN_ID_LEN);
	}
out:
	json_decref(o);
	return rc;
}

int cairn_group_list(cairn_journal *j, const char *contact, char **out)
{
	sqlite3_stmt *st;
	int rc;
	if (contact && !cairn__uuid_valid(contact))
		return cairn__error(CAIRN_EINVAL, "malformed contact id '%s'", contact);
/* One person's sessions name no other attendee (a head count, as a disclosure does): the view is audited
 * for that person alone. The caseload list (no contact) lists every attendee's id. */
#define GROUP_LIST(who, where)                                                                                        \
	"SELECT json_group_array(json(o)) FROM (SELECT json_object('id', g.entity, 'date', g.date, "                  \
	" 'topic', g.topic, 'facilitator', g.facilitator, 'minutes', g.minutes, 'device', g.device, " who ") AS o "     \
	"FROM group_sessions g WHERE " where " ORDER BY g.date, g.hlc, g.entity)"
	rc = cairn__prepare(j, &st,
	                    contact ? GROUP_LIST("'attendee_count', (SELECT count(*) FROM group_attendance a "
	                                         "WHERE a.session = g.entity)",
	                                         "g.entity IN (SELECT a.session FROM group_attendance a WHERE "
	                                         CAIRN__PERSON("a.contact") ")")
	                            : GROUP_LIST("'attendees', (SELECT json_group_array(contact) FROM (SELECT contact "
	                                         "FROM group_attendance a WHERE a.session = g.entity ORDER BY contact))",
	                                         CAIRN__EVERYONE));
	if (rc)
		return rc;
	if (contact)
		sqlite3_bind_text(st, 1, contact, -1, SQLITE_TRANSIENT);
	rc = cairn__query_text(j, st, out, "[]");
	/* the caseload list names every attendee: each is audited (a session's people are its attendees) */
	return contact ? rc : cairn__audit_shown(j, rc, out, "id", "group list");
}

static int group_report(cairn_journal *j, const cairn__report_range *r, json_t *sections)
{
	static const char *const cols[] = {"sessions", "attendances", "people"};
	return cairn__report_query(j, r,
		"SELECT count(DISTINCT g.entity), count(a.contact), count(DISTINCT " CAIRN__CANON("a.contact") ") "
		"FROM group_sessions g "
		"LEFT JOIN group_attendance a ON a.session = g.entity WHERE g.date BETWEEN ?1 AND ?2 AND "
		CAIRN__IN_SCOPE("g.device"),
		sections, "groups.attendance", "Peer-led support groups", cols, 3);
}

static const cairn__kind group_kinds[] = {{"group.session", apply_session}};
static const char *const group_tables[] = {"group_sessions", "group_attendance"};
static const char *const group_digest[] = {
	"SELECT 'group_sessions', entity, date, topic, facilitator, minutes, hlc, device FROM group_sessions "
	"ORDER BY entity",
	"SELECT 'group_attendance', session, contact FROM group_attendance ORDER BY session, contact",
};

const cairn__module cairn__module_group = {
	"group",      group_kinds,  CAIRN__COUNT(group_kinds),  group_tables, CAIRN__COUNT(group_tables),
	group_digest, CAIRN__COUNT(group_digest), group_report, NULL,
};
