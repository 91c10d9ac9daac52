#pragma once

/* json-glib (the JSON UI, --info's JSON), loaded on first use
 * (mailsync-ui-lazy.h).  Include this instead of <json-glib/json-glib.h>, after every
 * other header: from here on each name listed is reached through the
 * table.  A name not listed is not linked (the command does not link
 * the library): add it to the list and to the redirects at the end. */

#include "mailsync-ui-lazy.h"
#include <json-glib/json-glib.h>

#define MAILSYNC_JSON_GLIB_NAMES(X) \
  X (json_builder_add_boolean_value) \
  X (json_builder_add_double_value) \
  X (json_builder_add_int_value) \
  X (json_builder_add_null_value) \
  X (json_builder_add_string_value) \
  X (json_builder_begin_array) \
  X (json_builder_begin_object) \
  X (json_builder_end_array) \
  X (json_builder_end_object) \
  X (json_builder_get_root) \
  X (json_builder_new) \
  X (json_builder_set_member_name) \
  X (json_generator_new) \
  X (json_generator_set_root) \
  X (json_generator_to_data) \
  X (json_node_get_node_type) \
  X (json_node_get_object) \
  X (json_node_get_value_type) \
  X (json_node_unref) \
  X (json_object_get_boolean_member) \
  X (json_object_get_int_member) \
  X (json_object_get_member) \
  X (json_object_get_string_member) \
  X (json_parser_get_root) \
  X (json_parser_load_from_data) \
  X (json_parser_new)

typedef struct
{
#define MAILSYNC_JSON_GLIB_NAMES_MEMBER(name) __typeof__ (name) *name;
  MAILSYNC_JSON_GLIB_NAMES (MAILSYNC_JSON_GLIB_NAMES_MEMBER)
#undef MAILSYNC_JSON_GLIB_NAMES_MEMBER
} MailsyncJsonTable;

/* The table, the library loaded on the first call (or the command
 * exits, saying why: mailsync-ui-lazy.h). */
const MailsyncJsonTable *mailsync_json_glib (void);

#define json_builder_add_boolean_value (*mailsync_json_glib ()->json_builder_add_boolean_value)
#define json_builder_add_double_value (*mailsync_json_glib ()->json_builder_add_double_value)
#define json_builder_add_int_value (*mailsync_json_glib ()->json_builder_add_int_value)
#define json_builder_add_null_value (*mailsync_json_glib ()->json_builder_add_null_value)
#define json_builder_add_string_value (*mailsync_json_glib ()->json_builder_add_string_value)
#define json_builder_begin_array (*mailsync_json_glib ()->json_builder_begin_array)
#define json_builder_begin_object (*mailsync_json_glib ()->json_builder_begin_object)
#define json_builder_end_array (*mailsync_json_glib ()->json_builder_end_array)
#define json_builder_end_object (*mailsync_json_glib ()->json_builder_end_object)
#define json_builder_get_root (*mailsync_json_glib ()->json_builder_get_root)
#define json_builder_new (*mailsync_json_glib ()->json_builder_new)
#define json_builder_set_member_name (*mailsync_json_glib ()->json_builder_set_member_name)
#define json_generator_new (*mailsync_json_glib ()->json_generator_new)
#define json_generator_set_root (*mailsync_json_glib ()->json_generator_set_root)
#define json_generator_to_data (*mailsync_json_glib ()->json_generator_to_data)
#define json_node_get_node_type (*mailsync_json_glib ()->json_node_get_node_type)
#define json_node_get_object (*mailsync_json_glib ()->json_node_get_object)
#define json_node_get_value_type (*mailsync_json_glib ()->json_node_get_value_type)
#define json_node_unref (*mailsync_json_glib ()->json_node_unref)
#define json_object_get_boolean_member (*mailsync_json_glib ()->json_object_get_boolean_member)
#define json_object_get_int_member (*mailsync_json_glib ()->json_object_get_int_member)
#define json_object_get_member (*mailsync_json_glib ()->json_object_get_member)
#define json_object_get_string_member (*mailsync_json_glib ()->json_object_get_string_member)
#define json_parser_get_root (*mailsync_json_glib ()->json_parser_get_root)
#define json_parser_load_from_data (*mailsync_json_glib ()->json_parser_load_from_data)
#define json_parser_new (*mailsync_json_glib ()->json_parser_new)
