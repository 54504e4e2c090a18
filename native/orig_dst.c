/*
 * orig_dst.node: N-API addon returning the destination a redirected TCP connection was sent to.
 * nftables `redirect` rewrites the destination to cordon's proxy; conntrack keeps the original,
 * which getsockopt(SOL_IP, SO_ORIGINAL_DST) returns on the accepted socket. Node has no getsockopt.
 *   originalDst(fd: number) -> { address: string, port: number }   (throws on failure)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "napi-errors.h"

#ifndef SO_ORIGINAL_DST
#define SO_ORIGINAL_DST 80
#endif

static napi_value original_dst(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) {
    napi_throw_type_error(env, NULL, "originalDst(fd) needs a file descriptor");
    return NULL;
  }
  int32_t fd = -1;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "fd must be a non-negative integer");
    return NULL;
  }
  struct sockaddr_in dst;
  socklen_t len = sizeof dst;
  memset(&dst, 0, sizeof dst);
  if (getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &dst, &len) != 0) {
    return throw_errno(env, "getsockopt(SO_ORIGINAL_DST)", errno);
  }
  char text[INET_ADDRSTRLEN];
  if (inet_ntop(AF_INET, &dst.sin_addr, text, sizeof text) == NULL) {
    return throw_errno(env, "inet_ntop", errno);
  }
  napi_value result, address, port;
  napi_create_object(env, &result);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &address);
  napi_create_uint32(env, ntohs(dst.sin_port), &port);
  napi_set_named_property(env, result, "address", address);
  napi_set_named_property(env, result, "port", port);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "originalDst", NAPI_AUTO_LENGTH, original_dst, NULL, &fn);
  napi_set_named_property(env, exports, "originalDst", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
