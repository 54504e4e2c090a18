/* Errors the N-API addons hand to JS: an Error whose code is "E<errno>" and whose message names
 * the failed call, so a JS caller can tell ENOENT from EMFILE without parsing text. */
#ifndef CORDON_NAPI_ERRORS_H
#define CORDON_NAPI_ERRORS_H

#include <node_api.h>
#include <stdio.h>
#include <string.h>

static inline napi_value errno_error(napi_env env, const char *what, int err) {
  char msg[200], code[32];
  napi_value error, message, code_v;
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  snprintf(code, sizeof code, "E%d", err);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_v);
  napi_create_error(env, code_v, message, &error);
  return error;
}

/* Throws errno_error and returns NULL, for `return throw_errno(...)`. */
static inline napi_value throw_errno(napi_env env, const char *what, int err) {
  napi_throw(env, errno_error(env, what, err));
  return NULL;
}

#endif
