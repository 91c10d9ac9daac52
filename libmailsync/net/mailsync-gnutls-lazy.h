#pragma once

/* GnuTLS, loaded on first use (mailsync-lazy-lib-private.h).  Include this
 * instead of <gnutls/gnutls.h>, <gnutls/crypto.h>
 * and <gnutls/x509.h>, after every other header: from here on
 * each function listed is a call through the table.  A function not
 * listed is not linked (the library does not link -lgnutls): add it to
 * the list and to the redirects at the end. */

#include <glib.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#define MAILSYNC_GNUTLS_FUNCTIONS(X) \
  X (gnutls_alert_get) \
  X (gnutls_alert_get_name) \
  X (gnutls_alert_send) \
  X (gnutls_bye) \
  X (gnutls_certificate_allocate_credentials) \
  X (gnutls_certificate_client_get_request_status) \
  X (gnutls_certificate_free_credentials) \
  X (gnutls_certificate_get_peers) \
  X (gnutls_certificate_set_x509_key_file) \
  X (gnutls_certificate_set_x509_system_trust) \
  X (gnutls_certificate_set_x509_trust_file) \
  X (gnutls_certificate_set_x509_trust_mem) \
  X (gnutls_certificate_verification_status_print) \
  X (gnutls_certificate_verify_peers) \
  X (gnutls_credentials_set) \
  X (gnutls_deinit) \
  X (gnutls_error_is_fatal) \
  X (gnutls_free) \
  X (gnutls_handshake) \
  X (gnutls_hash_fast) \
  X (gnutls_init) \
  X (gnutls_priority_set_direct) \
  X (gnutls_protocol_get_version) \
  X (gnutls_record_check_pending) \
  X (gnutls_record_get_max_size) \
  X (gnutls_record_recv) \
  X (gnutls_record_send) \
  X (gnutls_record_send2) \
  X (gnutls_server_name_set) \
  X (gnutls_session_get_desc) \
  X (gnutls_strerror) \
  X (gnutls_transport_set_ptr) \
  X (gnutls_transport_set_pull_function) \
  X (gnutls_transport_set_pull_timeout_function) \
  X (gnutls_transport_set_push_function)

typedef struct
{
#define MAILSYNC_GNUTLS_FUNCTIONS_MEMBER(name) __typeof__ (name) *name;
  MAILSYNC_GNUTLS_FUNCTIONS (MAILSYNC_GNUTLS_FUNCTIONS_MEMBER)
#undef MAILSYNC_GNUTLS_FUNCTIONS_MEMBER
} MailsyncGnutlsTable;

extern MailsyncGnutlsTable _mailsync_gnutls_table;

/* Loads the library before its first call; %FALSE with MAILSYNC_ERROR_NOT_SUPPORTED. */
gboolean _mailsync_gnutls_load (GError **error);

#define gnutls_alert_get (*_mailsync_gnutls_table.gnutls_alert_get)
#define gnutls_alert_get_name (*_mailsync_gnutls_table.gnutls_alert_get_name)
#define gnutls_alert_send (*_mailsync_gnutls_table.gnutls_alert_send)
#define gnutls_bye (*_mailsync_gnutls_table.gnutls_bye)
#define gnutls_certificate_allocate_credentials (*_mailsync_gnutls_table.gnutls_certificate_allocate_credentials)
#define gnutls_certificate_client_get_request_status (*_mailsync_gnutls_table.gnutls_certificate_client_get_request_status)
#define gnutls_certificate_free_credentials (*_mailsync_gnutls_table.gnutls_certificate_free_credentials)
#define gnutls_certificate_get_peers (*_mailsync_gnutls_table.gnutls_certificate_get_peers)
#define gnutls_certificate_set_x509_key_file (*_mailsync_gnutls_table.gnutls_certificate_set_x509_key_file)
#define gnutls_certificate_set_x509_system_trust (*_mailsync_gnutls_table.gnutls_certificate_set_x509_system_trust)
#define gnutls_certificate_set_x509_trust_file (*_mailsync_gnutls_table.gnutls_certificate_set_x509_trust_file)
#define gnutls_certificate_set_x509_trust_mem (*_mailsync_gnutls_table.gnutls_certificate_set_x509_trust_mem)
#define gnutls_certificate_verification_status_print (*_mailsync_gnutls_table.gnutls_certificate_verification_status_print)
#define gnutls_certificate_verify_peers (*_mailsync_gnutls_table.gnutls_certificate_verify_peers)
#define gnutls_credentials_set (*_mailsync_gnutls_table.gnutls_credentials_set)
#define gnutls_deinit (*_mailsync_gnutls_table.gnutls_deinit)
#define gnutls_error_is_fatal (*_mailsync_gnutls_table.gnutls_error_is_fatal)
#define gnutls_free (*_mailsync_gnutls_table.gnutls_free)
#define gnutls_handshake (*_mailsync_gnutls_table.gnutls_handshake)
#define gnutls_hash_fast (*_mailsync_gnutls_table.gnutls_hash_fast)
#define gnutls_init (*_mailsync_gnutls_table.gnutls_init)
#define gnutls_priority_set_direct (*_mailsync_gnutls_table.gnutls_priority_set_direct)
#define gnutls_protocol_get_version (*_mailsync_gnutls_table.gnutls_protocol_get_version)
#define gnutls_record_check_pending (*_mailsync_gnutls_table.gnutls_record_check_pending)
#define gnutls_record_get_max_size (*_mailsync_gnutls_table.gnutls_record_get_max_size)
#define gnutls_record_recv (*_mailsync_gnutls_table.gnutls_record_recv)
#define gnutls_record_send (*_mailsync_gnutls_table.gnutls_record_send)
#define gnutls_record_send2 (*_mailsync_gnutls_table.gnutls_record_send2)
#define gnutls_server_name_set (*_mailsync_gnutls_table.gnutls_server_name_set)
#define gnutls_session_get_desc (*_mailsync_gnutls_table.gnutls_session_get_desc)
#define gnutls_strerror (*_mailsync_gnutls_table.gnutls_strerror)
#define gnutls_transport_set_ptr (*_mailsync_gnutls_table.gnutls_transport_set_ptr)
#define gnutls_transport_set_pull_function (*_mailsync_gnutls_table.gnutls_transport_set_pull_function)
#define gnutls_transport_set_pull_timeout_function (*_mailsync_gnutls_table.gnutls_transport_set_pull_timeout_function)
#define gnutls_transport_set_push_function (*_mailsync_gnutls_table.gnutls_transport_set_push_function)
