/* OAuth2 refresh-token requests over HTTPS (libsoup 3, json-glib).
 *
 * A module of its own (mailsync-oauth2.so, loaded by
 * libmailsync/config/mailsync-oauth2.c on first use), so that
 * libmailsync-1.0.so does not link libsoup.  See
 * mailsync-oauth2-module.h. */
#include "config.h"

#include "mailsync-error.h"
#include "modules/mailsync-oauth2-module.h"

#include <gmodule.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

static GQuark mailsync_error_domain;

typedef struct
{
  SoupSession *session;
  SoupMessage *message;
  char        *host;
  guint        timeout;
} Call;

static void
call_free (Call *call)
{
  g_clear_object (&call->message);
  g_clear_object (&call->session);
  g_free (call->host);
  g_free (call);
}

static void
append_field (GString    *form,
              const char *name,
              const char *value)
{
  g_autofree char *escaped = g_uri_escape_string (value, NULL, FALSE);

  if (form->len > 0)
    g_string_append_c (form, '&');
  g_string_append_printf (form, "%s=%s", name, escaped);
  /* the escaped copy held a secret */
  memset (escaped, 0, strlen (escaped));
}

/* The provider's own words, made one short line: they are shown to the
 * user, and a hostile endpoint must not be able to write lines of its
 * own into the log. */
static char *
one_line (const char *text)
{
  g_autofree char *valid = g_utf8_make_valid (text, -1);
  GString *out = g_string_new (NULL);

  for (const char *p = valid; *p != '\0' && out->len < 300; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c))
        g_string_append_c (out, ' ');
      else
        g_string_append_unichar (out, c);
    }
  return g_strstrip (g_string_free (out, FALSE));
}

static const char *
member_string (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* expires_in is a number; some endpoints (Microsoft's v1) send a string */
static gint64
member_seconds (JsonObject *object,
                const char *name)
{
  JsonNode *node = json_object_get_member (object, name);
  gint64 seconds = 0;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return 0;
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      seconds = json_node_get_int (node);
      break;
    case G_TYPE_DOUBLE:
      seconds = (gint64) json_node_get_double (node);
      break;
    case G_TYPE_STRING:
      if (!g_ascii_string_to_signed (json_node_get_string (node), 10, 0, G_MAXINT32, &seconds, NULL))
        seconds = 0;
      break;
    default:
      break;
    }
  return MAX (seconds, 0);
}

typedef struct
{
  char   *token;
  gint64  expires_in;
} Answer;

static void
answer_free (Answer *answer)
{
  if (answer->token != NULL)
    memset (answer->token, 0, strlen (answer->token));
  g_free (answer->token);
  g_free (answer);
}

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *object = NULL;
  const char *provider_error, *description, *token;
  guint status;
  Answer *answer;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (body == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                 "the OAuth2 token endpoint %s did not answer within %u seconds (socktimeout)",
                                 call->host, call->timeout);
      else
        g_task_return_new_error (task, error->domain, error->code,
                                 "cannot get an OAuth2 access token from %s: %s", call->host, error->message);
      return;
    }

  status = soup_message_get_status (call->message);
  parser = json_parser_new ();
  if (json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), (gssize) g_bytes_get_size (body), NULL) &&
      json_parser_get_root (parser) != NULL && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    object = json_node_get_object (json_parser_get_root (parser));
  g_debug ("OAuth2 token endpoint %s: HTTP %u, %s", call->host, status,
           object != NULL ? "a JSON object" : "not a JSON object");

  /* RFC 6749 §5.2: the refusal is a 400 (401 for a bad client) whose
   * "error" says why; offlineimap also refuses a 200 that has one. */
  provider_error = object != NULL ? member_string (object, "error") : NULL;
  if (provider_error != NULL && (status == 200 || (status >= 400 && status < 500)))
    {
      g_autofree char *what = one_line (provider_error);
      g_autofree char *why = NULL;

      description = member_string (object, "error_description");
      why = description != NULL ? one_line (description) : NULL;
      g_task_return_new_error (task, mailsync_error_domain, MAILSYNC_ERROR_AUTHENTICATION_FAILED,
                               "the OAuth2 token endpoint %s refused the refresh token (HTTP %u): %s%s%s",
                               call->host, status, what, why != NULL && *why != '\0' ? ": " : "",
                               why != NULL ? why : "");
      return;
    }
  if (status != 200)
    {
      g_task_return_new_error (task, mailsync_error_domain, MAILSYNC_ERROR_FAILED,
                               "the OAuth2 token endpoint %s answered HTTP %u %s", call->host, status,
                               soup_message_get_reason_phrase (call->message) ? soup_message_get_reason_phrase (call->message) : "");
      return;
    }
  if (object == NULL)
    {
      g_task_return_new_error (task, mailsync_error_domain, MAILSYNC_ERROR_FAILED,
                               "the OAuth2 token endpoint %s did not answer with a JSON object", call->host);
      return;
    }
  token = member_string (object, "access_token");
  if (token == NULL || *token == '\0')
    {
      g_task_return_new_error (task, mailsync_error_domain, MAILSYNC_ERROR_FAILED,
                               "the OAuth2 token endpoint %s answered without an access_token", call->host);
      return;
    }
  answer = g_new0 (Answer, 1);
  answer->token = g_strdup (token);
  answer->expires_in = member_seconds (object, "expires_in");
  /* the parser's copy of the token goes with it; json-glib does not wipe */
  g_task_return_pointer (task, answer, (GDestroyNotify) answer_free);
}

static void
oauth2_refresh_async (const MailsyncOAuth2Request *request,
                      GCancellable                *cancellable,
                      GAsyncReadyCallback          callback,
                      gpointer                     user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  GString *form;
  Call *call;

  g_task_set_source_tag (task, oauth2_refresh_async);
  uri = g_uri_parse (request->url, SOUP_HTTP_URI_FLAGS, &error);
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_task_return_new_error (task, mailsync_error_domain, MAILSYNC_ERROR_INVALID_CONFIG,
                               "oauth2_request_url '%s' is not a URL", request->url);
      return;
    }
  /* The refresh token and the client secret travel in the body: never in
   * clear (offlineimap's urllib would also take http://). */
  if (g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") != 0)
    {
      g_task_return_new_error (task, mailsync_error_domain, MAILSYNC_ERROR_INVALID_CONFIG,
                               "oauth2_request_url '%s' is not an https:// URL: the refresh token would be "
                               "sent in clear", request->url);
      return;
    }

  call = g_new0 (Call, 1);
  call->host = g_strdup (g_uri_get_host (uri));
  call->timeout = request->timeout;
  g_task_set_task_data (task, call, (GDestroyNotify) call_free);
  /* "timeout" bounds each connect, handshake and read: a silent
   * endpoint fails the request instead of hanging the sync. */
  call->session = soup_session_new_with_options ("timeout", request->timeout, "user-agent", PACKAGE_NAME "/" PACKAGE_VERSION, NULL);
  if (request->ca_file != NULL)
    {
      g_autoptr(GTlsDatabase) database = g_tls_file_database_new (request->ca_file, &error);

      if (database == NULL)
        {
          g_task_return_new_error (task, error->domain, error->code,
                                   "cannot read the CA certificates for the OAuth2 token endpoint (%s): %s",
                                   request->ca_file, error->message);
          return;
        }
      soup_session_set_tls_database (call->session, database);
    }
  /* authproxy (or the account's proxy): the token request goes through
   * it as offlineimap's does through PySocks. GIO's resolver for it, as
   * the IMAP connections use (net/): the proxy resolves the endpoint's
   * name, and a proxy that refuses fails the request with its reason. */
  if (request->proxy != NULL)
    {
      g_autoptr(GProxyResolver) resolver = g_simple_proxy_resolver_new (request->proxy, NULL);

      soup_session_set_proxy_resolver (call->session, resolver);
    }

  form = g_string_new (NULL);
  append_field (form, "client_id", request->client_id != NULL ? request->client_id : "");
  if (request->client_secret != NULL)
    append_field (form, "client_secret", request->client_secret);
  append_field (form, "refresh_token", request->refresh_token != NULL ? request->refresh_token : "");
  append_field (form, "grant_type", "refresh_token");
  body = g_bytes_new (form->str, form->len);
  memset (form->str, 0, form->len);
  g_string_free (form, TRUE);

  call->message = soup_message_new_from_uri (SOUP_METHOD_POST, uri);
  soup_message_headers_append (soup_message_get_request_headers (call->message), "Accept", "application/json");
  soup_message_set_request_body_from_bytes (call->message, "application/x-www-form-urlencoded", body);
  g_debug ("OAuth2: POST to the token endpoint %s", call->host);
  soup_session_send_and_read_async (call->session, call->message, G_PRIORITY_DEFAULT, cancellable,
                                    on_sent, g_steal_pointer (&task));
}

static char *
oauth2_refresh_finish (GAsyncResult  *result,
                       gint64        *expires_in,
                       GError       **error)
{
  Answer *answer;
  char *token;

  *expires_in = 0;
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  answer = g_task_propagate_pointer (G_TASK (result), error);
  if (answer == NULL)
    return NULL;
  token = g_steal_pointer (&answer->token);
  *expires_in = answer->expires_in;
  answer_free (answer);
  return token;
}

G_MODULE_EXPORT gconstpointer mailsync_oauth2_module_get (guint  abi,
                                                          GQuark error_domain);

G_MODULE_EXPORT gconstpointer
mailsync_oauth2_module_get (guint  abi,
                            GQuark error_domain)
{
  static const MailsyncOAuth2Module table = {
    MAILSYNC_OAUTH2_MODULE_ABI,
    oauth2_refresh_async,
    oauth2_refresh_finish,
  };

  mailsync_error_domain = error_domain;
  return abi == MAILSYNC_OAUTH2_MODULE_ABI ? &table : NULL;
}
