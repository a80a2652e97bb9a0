/*
 * catalog.c — the record families this build knows (see model.h). The order is part of the state
 * digest: append new modules at the end.
 */
#include "model.h"

extern const cairn__module cairn__module_core;
extern const cairn__module cairn__module_report;
extern const cairn__module cairn__module_followups;
extern const cairn__module cairn__module_consent;
extern const cairn__module cairn__module_audit;
extern const cairn__module cairn__module_goal;
extern const cairn__module cairn__module_plan;
extern const cairn__module cairn__module_assess;
extern const cairn__module cairn__module_resource;
extern const cairn__module cairn__module_group;
extern const cairn__module cairn__module_review;
extern const cairn__module cairn__module_crisis;
extern const cairn__module cairn__module_gpra;

const cairn__module *const cairn__modules[] = {
        &cairn__module_core,      &cairn__module_report,
        &cairn__module_followups, &cairn__module_consent,
        &cairn__module_audit,     &cairn__module_goal,
        &cairn__module_plan,      &cairn__module_assess,
        &cairn__module_resource,  &cairn__module_group,
        &cairn__module_review,    &cairn__module_crisis,
        &cairn__module_gpra,      NULL,
};
