/*
 * nicknames.c — common English (and a few Spanish) given-name diminutives and their full forms, for
 * duplicate detection (dedupe.c): "Bob Smith" and "Robert Smith" are one person more often than not.
 *
 * A C table rather than a data file in schema/: schema/ holds SQL migrations applied to every journal,
 * and this list is neither state nor schema. As code it is reviewed like code, costs no parsing or
 * allocation, and cannot be missing at run time. Keys are sorted (binary search); a value is never
 * itself a key, so one lookup gives the canonical form.
 */
#include <stdlib.h>
#include <string.h>

#include "dedupe.h"

static const struct {
	const char *nick, *full;
} names[] = {
        {"abby", "abigail"},      {"abe", "abraham"},       {"al", "albert"},         {"alex", "alexander"},
        {"alexa", "alexandra"},   {"alf", "alfred"},        {"andy", "andrew"},       {"angie", "angela"},
        {"anna", "ann"},          {"anne", "ann"},          {"annie", "ann"},         {"ant", "anthony"},
        {"art", "arthur"},        {"ash", "ashley"},        {"barb", "barbara"},      {"becky", "rebecca"},
        {"bella", "isabel"},      {"ben", "benjamin"},      {"benny", "benjamin"},    {"bert", "robert"},
        {"beth", "elizabeth"},    {"beto", "alberto"},      {"betsy", "elizabeth"},   {"betty", "elizabeth"},
        {"bill", "william"},      {"billy", "william"},     {"bo", "robert"},         {"bob", "robert"},
        {"bobby", "robert"},      {"brad", "bradley"},      {"cal", "calvin"},        {"cam", "cameron"},
        {"cathy", "catherine"},   {"charlie", "charles"},   {"chas", "charles"},      {"chris", "christopher"},
        {"chrissy", "christine"}, {"christy", "christine"}, {"chuck", "charles"},     {"chuy", "jesus"},
        {"cindy", "cynthia"},     {"cliff", "clifford"},    {"connie", "constance"},  {"dan", "daniel"},
        {"danny", "daniel"},      {"dave", "david"},        {"davey", "david"},       {"deb", "deborah"},
        {"debbie", "deborah"},    {"debra", "deborah"},     {"dee", "deborah"},       {"di", "diana"},
        {"dick", "richard"},      {"dom", "dominic"},       {"don", "donald"},        {"donnie", "donald"},
        {"doug", "douglas"},      {"ed", "edward"},         {"eddie", "edward"},      {"eliza", "elizabeth"},
        {"ellie", "eleanor"},     {"ernie", "ernest"},      {"fran", "frances"},      {"frank", "francis"},
        {"frannie", "frances"},   {"fred", "frederick"},    {"freddie", "frederick"}, {"gabe", "gabriel"},
        {"gene", "eugene"},       {"geoff", "geoffrey"},    {"gerry", "gerald"},      {"greg", "gregory"},
        {"greta", "margaret"},    {"gus", "august"},        {"hal", "henry"},         {"hank", "henry"},
        {"harry", "henry"},       {"herb", "herbert"},      {"ike", "isaac"},         {"izzy", "isabel"},
        {"jack", "john"},         {"jake", "jacob"},        {"jamie", "james"},       {"jan", "janet"},
        {"jay", "james"},         {"jeff", "jeffrey"},      {"jen", "jennifer"},      {"jenny", "jennifer"},
        {"jerry", "gerald"},      {"jess", "jessica"},      {"jessie", "jessica"},    {"jim", "james"},
        {"jimmy", "james"},       {"jo", "josephine"},      {"jodi", "judith"},       {"joe", "joseph"},
        {"joey", "joseph"},       {"johnny", "john"},       {"jon", "john"},          {"josh", "joshua"},
        {"judy", "judith"},       {"kat", "catherine"},     {"kate", "catherine"},    {"katherine", "catherine"},
        {"kathryn", "catherine"}, {"kathy", "catherine"},   {"katie", "catherine"},   {"kim", "kimberly"},
        {"kit", "christopher"},   {"kris", "kristen"},      {"lalo", "eduardo"},      {"larry", "lawrence"},
        {"laurie", "laura"},      {"len", "leonard"},       {"lenny", "leonard"},     {"leo", "leonard"},
        {"les", "leslie"},        {"lew", "lewis"},         {"liam", "william"},      {"liz", "elizabeth"},
        {"lizzie", "elizabeth"},  {"lou", "louis"},         {"lucy", "lucille"},      {"lupe", "guadalupe"},
        {"mae", "mary"},          {"maggie", "margaret"},   {"mandy", "amanda"},      {"manny", "manuel"},
        {"marge", "margaret"},    {"marty", "martin"},      {"matt", "matthew"},      {"max", "maxwell"},
        {"meg", "margaret"},      {"memo", "guillermo"},    {"mick", "michael"},      {"mike", "michael"},
        {"mikey", "michael"},     {"mitch", "mitchell"},    {"mo", "maurice"},        {"molly", "mary"},
        {"nacho", "ignacio"},     {"nan", "nancy"},         {"nate", "nathan"},       {"nathaniel", "nathan"},
        {"ned", "edward"},        {"nell", "eleanor"},      {"nick", "nicholas"},     {"nicky", "nicholas"},
        {"nikki", "nicole"},      {"norm", "norman"},       {"ollie", "oliver"},      {"ozzie", "oswald"},
        {"paco", "francisco"},    {"pam", "pamela"},        {"pancho", "francisco"},  {"pat", "patrick"},
        {"patty", "patricia"},    {"peggy", "margaret"},    {"pepe", "jose"},         {"pete", "peter"},
        {"phil", "phillip"},      {"philip", "phillip"},    {"polly", "mary"},        {"randy", "randall"},
        {"ray", "raymond"},       {"reggie", "reginald"},   {"rich", "richard"},      {"rick", "richard"},
        {"ricky", "richard"},     {"rob", "robert"},        {"robbie", "robert"},     {"ron", "ronald"},
        {"ronnie", "ronald"},     {"rose", "rosemary"},     {"rosie", "rosemary"},    {"russ", "russell"},
        {"sal", "salvatore"},     {"sam", "samuel"},        {"sammy", "samuel"},      {"sandy", "sandra"},
        {"sid", "sidney"},        {"stan", "stanley"},      {"stephen", "steven"},    {"steve", "steven"},
        {"stevie", "steven"},     {"stu", "stuart"},        {"sue", "susan"},         {"susie", "susan"},
        {"suzy", "susan"},        {"sy", "simon"},          {"ted", "edward"},        {"teddy", "edward"},
        {"terry", "terrence"},    {"theo", "theodore"},     {"tim", "timothy"},       {"timmy", "timothy"},
        {"tina", "christina"},    {"toby", "tobias"},       {"tom", "thomas"},        {"tommy", "thomas"},
        {"toni", "antonia"},      {"tony", "anthony"},      {"tricia", "patricia"},   {"trish", "patricia"},
        {"val", "valerie"},       {"vic", "victor"},        {"vicky", "victoria"},    {"vince", "vincent"},
        {"wally", "walter"},      {"walt", "walter"},       {"wes", "wesley"},        {"will", "william"},
        {"willie", "william"},    {"woody", "woodrow"},     {"xander", "alexander"},  {"zach", "zachary"},
        {"zack", "zachary"},      {"zeke", "ezekiel"},
};

static int cmp(const void *key, const void *elem) { return strcmp(key, *(const char *const *)elem); }

const char *cairn__nickname_full(const char *first)
{
	const void *hit = bsearch(first, names, sizeof(names) / sizeof(names[0]), sizeof(names[0]), cmp);
	return hit ? ((const char *const *)hit)[1] : first;
}
