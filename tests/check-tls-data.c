/* MailsyncTlsStream moving data, blocking and async: a megabyte both ways at
 * once, pipelining, EOF with and without close_notify, cancellation and a
 * close during a read. Server and helpers: tls-fixtures.h. */
#include "config.h"

#include <string.h>

#include "tls-fixtures.h"

/* Data ----------------------------------------------------------------------- */

typedef struct
{
  GOutputStream *output;
  const guint8 *data;
  gsize size;
  GError *error;
} Writer;

static gpointer
writer_thread (gpointer user_data)
{
  Writer *writer = user_data;

  g_output_stream_write_all (writer->output, writer->data, writer->size, NULL, NULL,
                             &writer->error);
  return NULL;
}


START_TEST (test_concurrent_megabyte)
{
  g_autoptr(MailsyncTlsOptions) options = options_with_ca ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autofree guint8 *data = pattern (MB);
  g_autofree guint8 *back = g_malloc0 (MB);
  TestServer server = { 0 };
  Writer writer = { 0 };
  GThread *thread;
  gsize got = 0;

  server_start (&server);
  stream = tls_connect (&server, "127.0.0.1", options, &error);
  ck_assert_msg (stream != NULL, "%s", error ? error->message : "?");

  /* One thread writes 1 MB while this one reads the echo: the server's
   * writes fill the socket buffers unless both run at once. */
  writer.output = g_io_stream_get_output_stream (stream);
  writer.data = data;
  writer.size = MB;
  thread = g_thread_new ("writer", writer_thread, &writer);
  ck_assert_msg (g_input_stream_read_all (g_io_stream_get_input_stream (stream), back, MB,
                                          &got, NULL, &error),
                 "read: %s", error ? error->message : "?");
  g_thread_join (thread);
  ck_assert_msg (writer.error == NULL, "write: %s", writer.error->message);
  ck_assert_uint_eq (got, MB);
  ck_assert (memcmp (data, back, MB) == 0);

  ck_assert (g_io_stream_close (stream, NULL, &error));
  server_join (&server);
  ck_assert_uint_eq (server.echoed, MB);
  server_clear (&server);
}
END_TEST

static void
got_result (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
}

/* The pipelining pattern: an async read pending while async writes run, and
 * the async constructor. */
START_TEST (test_async_pipelining)
{
  g_autoptr(MailsyncTlsOptions) options = options_with_ca ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) base = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GAsyncResult) connected = NULL;
  g_autoptr(GAsyncResult) read = NULL;
  g_autoptr(GAsyncResult) written = NULL;
  g_autofree guint8 *data = pattern (MB);
  g_autofree guint8 *back = g_malloc0 (MB);
  TestServer server = { 0 };
  gsize got = 0, put = 0;

  server_start (&server);
  base = tcp_connect (&server);
  mailsync_tls_client_new_async (base, "localhost", options, G_PRIORITY_DEFAULT, NULL,
                                 got_result, &connected);
  wait_for (&connected);
  stream = mailsync_tls_client_new_finish (connected, &error);
  ck_assert_msg (stream != NULL, "%s", error ? error->message : "?");
  ck_assert_ptr_eq (mailsync_tls_stream_get_base_stream (MAILSYNC_TLS_STREAM (stream)), base);

  g_input_stream_read_all_async (g_io_stream_get_input_stream (stream), back, MB,
                                 G_PRIORITY_DEFAULT, NULL, got_result, &read);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (stream), data, MB,
                                   G_PRIORITY_DEFAULT, NULL, got_result, &written);
  wait_for (&written);
  ck_assert (g_output_stream_write_all_finish (g_io_stream_get_output_stream (stream), written,
                                               &put, &error));
  wait_for (&read);
  ck_assert (g_input_stream_read_all_finish (g_io_stream_get_input_stream (stream), read,
                                             &got, &error));
  ck_assert_uint_eq (put, MB);
  ck_assert_uint_eq (got, MB);
  ck_assert (memcmp (data, back, MB) == 0);

  ck_assert (g_io_stream_close (stream, NULL, &error));
  ck_assert (g_io_stream_is_closed (base));
  server_clear (&server);
}
END_TEST

START_TEST (test_async_failure)
{
  g_autoptr(MailsyncTlsOptions) options = mailsync_tls_options_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) base = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GAsyncResult) connected = NULL;
  TestServer server = { 0 };

  server_start (&server);
  base = tcp_connect (&server);
  mailsync_tls_client_new_async (base, "localhost", options, G_PRIORITY_DEFAULT, NULL,
                                 got_result, &connected);
  wait_for (&connected);
  stream = mailsync_tls_client_new_finish (connected, &error);
  ck_assert_ptr_null (stream);
  ck_assert (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE));
  /* The base stream is closed on failure. */
  ck_assert (g_io_stream_is_closed (base));
  server_clear (&server);
}
END_TEST

static void
read_greeting_then_eof (ServeMode mode)
{
  g_autoptr(MailsyncTlsOptions) options = options_with_ca ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) stream = NULL;
  TestServer server = { .mode = mode };
  char buffer[64] = "";
  gsize got = 0;

  server_start (&server);
  stream = tls_connect (&server, "localhost", options, &error);
  ck_assert_msg (stream != NULL, "%s", error ? error->message : "?");
  ck_assert (g_input_stream_read_all (g_io_stream_get_input_stream (stream), buffer,
                                      sizeof buffer - 1, &got, NULL, &error));
  ck_assert_str_eq (buffer, "hello\r\n");
  ck_assert_int_eq (g_input_stream_read (g_io_stream_get_input_stream (stream), buffer, 1,
                                         NULL, &error), 0);
  ck_assert (g_io_stream_close (stream, NULL, &error));
  server_clear (&server);
}

START_TEST (test_eof_close_notify)
{
  read_greeting_then_eof (SERVE_GREET_BYE);
}
END_TEST

START_TEST (test_eof_without_close_notify)
{
  read_greeting_then_eof (SERVE_GREET_DROP);
}
END_TEST

static gboolean
cancel_later (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static gpointer
cancel_thread (gpointer user_data)
{
  g_usleep (200 * 1000);
  cancel_later (user_data);
  return NULL;
}

/* A cancelled read leaves the connection usable. */
START_TEST (test_cancelled_read)
{
  g_autoptr(MailsyncTlsOptions) options = options_with_ca ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  TestServer server = { 0 };
  GThread *thread;
  char byte;

  server_start (&server);
  stream = tls_connect (&server, "localhost", options, &error);
  ck_assert_msg (stream != NULL, "%s", error ? error->message : "?");

  thread = g_thread_new ("cancel", cancel_thread, cancellable);
  ck_assert_int_eq (g_input_stream_read (g_io_stream_get_input_stream (stream), &byte, 1,
                                         cancellable, &error), -1);
  g_thread_join (thread);
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  g_clear_error (&error);

  assert_echo (stream, "a002 NOOP\r\n");
  ck_assert (g_io_stream_close (stream, NULL, &error));
  server_clear (&server);
}
END_TEST

/* Closing the stream while another thread waits in a read ends that read. */
START_TEST (test_close_during_read)
{
  g_autoptr(MailsyncTlsOptions) options = options_with_ca ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GAsyncResult) read = NULL;
  char byte;
  gssize n;
  TestServer server = { .mode = SERVE_MUTE };

  server_start (&server);
  stream = tls_connect (&server, "localhost", options, &error);
  ck_assert_msg (stream != NULL, "%s", error ? error->message : "?");

  g_input_stream_read_async (g_io_stream_get_input_stream (stream), &byte, 1,
                             G_PRIORITY_DEFAULT, NULL, got_result, &read);
  g_usleep (100 * 1000);
  ck_assert (g_io_stream_close (stream, NULL, &error));
  wait_for (&read);
  n = g_input_stream_read_finish (g_io_stream_get_input_stream (stream), read, &error);
  ck_assert_int_le (n, 0);
  server_clear (&server);
}
END_TEST

static Suite *
tls_suite (void)
{
  Suite *suite = suite_create ("tls-data");
  TCase *tc;

  tc = tcase_create ("data");
  tcase_add_test (tc, test_concurrent_megabyte);
  tcase_add_test (tc, test_async_pipelining);
  tcase_add_test (tc, test_async_failure);
  tcase_add_test (tc, test_eof_close_notify);
  tcase_add_test (tc, test_eof_without_close_notify);
  tcase_add_test (tc, test_cancelled_read);
  tcase_add_test (tc, test_close_during_read);
  suite_add_tcase (suite, tc);
  return suite;
}

int
main (void)
{
  return mailsync_test_run (tls_suite ());
}
