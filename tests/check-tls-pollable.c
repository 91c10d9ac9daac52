/* MailsyncTlsStream's pollable (non-blocking) path: WOULD_BLOCK reads and
 * writes, partial records, pending data and abandoned writes. Server and
 * helpers: tls-fixtures.h. */
#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include "tls-fixtures.h"

/* Pollable (non-blocking) path ---------------------------------------------- */

static gboolean
source_fired (GObject  *stream,
              gpointer  user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
source_timed_out (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Attaches @sources (NULL-terminated, consumed) and iterates until one of
 * them fires; FALSE when none does within @ms. */
static gboolean
wait_sources (guint ms, GSource **sources)
{
  gboolean fired = FALSE, timed_out = FALSE;
  GSource *timeout = g_timeout_source_new (ms);
  gboolean ok;

  g_source_set_callback (timeout, source_timed_out, &timed_out, NULL);
  g_source_attach (timeout, NULL);
  for (guint i = 0; sources[i] != NULL; i++)
    {
      g_source_set_callback (sources[i], G_SOURCE_FUNC (source_fired), &fired, NULL);
      g_source_attach (sources[i], NULL);
    }
  while (!fired && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  ok = fired;
  for (guint i = 0; sources[i] != NULL; i++)
    {
      g_source_destroy (sources[i]);
      g_source_unref (sources[i]);
    }
  g_source_destroy (timeout);
  g_source_unref (timeout);
  return ok;
}

static gboolean
wait_readable (GPollableInputStream *in,
               guint                 ms)
{
  GSource *sources[] = { g_pollable_input_stream_create_source (in, NULL), NULL };

  return wait_sources (ms, sources);
}

static GIOStream *
connect_pollable (TestServer *server)
{
  g_autoptr(MailsyncTlsOptions) options = options_with_ca ();
  g_autoptr(GError) error = NULL;
  GIOStream *stream;

  server_start (server);
  stream = tls_connect (server, "localhost", options, &error);
  ck_assert_msg (stream != NULL, "%s", error ? error->message : "?");
  ck_assert (G_IS_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (stream)));
  ck_assert (G_IS_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (stream)));
  ck_assert (g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (stream))));
  ck_assert (g_pollable_output_stream_can_poll (G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (stream))));
  return stream;
}

/* Nothing to read is WOULD_BLOCK, not a wait; the stream's source wakes up
 * when the echo arrives. */
START_TEST (test_pollable_would_block)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) stream = NULL;
  TestServer server = { 0 };
  GPollableInputStream *in;
  GPollableOutputStream *out;
  char buffer[32] = "";
  gssize n;

  stream = connect_pollable (&server);
  in = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (stream));
  out = G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (stream));

  ck_assert (!g_pollable_input_stream_is_readable (in));
  n = g_pollable_input_stream_read_nonblocking (in, buffer, sizeof buffer, NULL, &error);
  ck_assert_int_eq (n, -1);
  ck_assert_msg (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK), "%s", error->message);
  g_clear_error (&error);
  /* The session is still fine after EAGAIN. */
  ck_assert (g_pollable_output_stream_is_writable (out));
  ck_assert_int_eq (g_pollable_output_stream_write_nonblocking (out, "a003 NOOP\r\n", 11, NULL, &error), 11);
  ck_assert_msg (wait_readable (in, 5000), "the echo never made the stream readable");
  ck_assert (g_pollable_input_stream_is_readable (in));
  n = g_pollable_input_stream_read_nonblocking (in, buffer, sizeof buffer - 1, NULL, &error);
  ck_assert_msg (n == 11, "read %d: %s", (int) n, error ? error->message : "");
  ck_assert_str_eq (buffer, "a003 NOOP\r\n");

  ck_assert (g_io_stream_close (stream, NULL, &error));
  server_clear (&server);
}
END_TEST

/* Records that arrive in 97-byte TCP pieces: every partial record is
 * WOULD_BLOCK and resumes where it stopped. */
START_TEST (test_pollable_partial_records)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autofree guint8 *expected = pattern (40000);
  g_autofree guint8 *back = g_malloc0 (40000);
  TestServer server = { .mode = SERVE_TRICKLE, .send_size = 40000 };
  GPollableInputStream *in;
  guint blocked = 0;
  gsize got = 0;

  stream = connect_pollable (&server);
  in = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (stream));
  while (got < 40000)
    {
      gssize n = g_pollable_input_stream_read_nonblocking (in, back + got, 40000 - got, NULL, &error);

      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          g_clear_error (&error);
          blocked++;
          ck_assert_msg (wait_readable (in, 5000), "stalled at %" G_GSIZE_FORMAT, got);
          continue;
        }
      ck_assert_msg (n > 0, "read: %s", error ? error->message : "end of stream");
      got += n;
    }
  ck_assert (memcmp (expected, back, 40000) == 0);
  /* Three records in hundreds of pieces: many more waits than records. */
  ck_assert_uint_gt (blocked, 10);

  ck_assert (g_io_stream_close (stream, NULL, &error));
  server_clear (&server);
}
END_TEST

/* Waits (a deadline, not a delay) until @server has written its three
 * records: its one write may reach the socket in parts, the rest when its
 * thread runs again. */
static void
wait_records_sent (TestServer *server)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (!g_atomic_int_get (&server->records_sent) && g_get_monotonic_time () < deadline)
    g_usleep (10 * 1000);
  ck_assert_msg (g_atomic_int_get (&server->records_sent), "the server did not send its three records");
}

/* Data that gnutls or the pull buffer holds after a read is readable
 * although the socket has nothing left, and one read returns several
 * records. */
START_TEST (test_pollable_pending_after_read)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autofree guint8 *expected = pattern (3 * 16384);
  g_autofree guint8 *back = g_malloc0 (65536);
  TestServer server = { .mode = SERVE_RECORDS };
  GPollableInputStream *in;
  GInputStream *base_in;
  gssize n;

  stream = connect_pollable (&server);
  in = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (stream));
  base_in = g_io_stream_get_input_stream (mailsync_tls_stream_get_base_stream (MAILSYNC_TLS_STREAM (stream)));
  ck_assert (wait_readable (in, 5000));
  wait_records_sent (&server);  /* all three records are in the socket */

  n = g_pollable_input_stream_read_nonblocking (in, back, 10, NULL, &error);
  ck_assert_int_eq (n, 10);
  /* The socket is drained (one read took all three records) ... */
  ck_assert (!g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (base_in)));
  /* ... but the rest is there without waiting. */
  ck_assert (g_pollable_input_stream_is_readable (in));
  ck_assert_msg (wait_readable (in, 1000), "the source waits on the socket, not on the buffered records");
  n = g_pollable_input_stream_read_nonblocking (in, back + 10, 65536 - 10, NULL, &error);
  ck_assert_msg (n == 3 * 16384 - 10, "one read returned %d bytes, not the rest of three records",
                 (int) n);
  ck_assert (memcmp (expected, back, 3 * 16384) == 0);

  ck_assert (!g_pollable_input_stream_is_readable (in));
  n = g_pollable_input_stream_read_nonblocking (in, back, 1, NULL, &error);
  ck_assert_int_eq (n, -1);
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK));
  g_clear_error (&error);

  /* The blocking read still works after non-blocking ones. */
  ck_assert (g_output_stream_write_all (g_io_stream_get_output_stream (stream), "x", 1, NULL, NULL, &error));
  ck_assert (g_io_stream_close (stream, NULL, &error));
  server_clear (&server);
}
END_TEST

static void
set_small_send_buffer (GIOStream *stream)
{
  GIOStream *base = mailsync_tls_stream_get_base_stream (MAILSYNC_TLS_STREAM (stream));
  GSocket *socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (base));

  ck_assert (g_socket_set_option (socket, SOL_SOCKET, SO_SNDBUF, 16384, NULL));
}

/* Writes that would block (EAGAIN in the middle of a record) resume with
 * the same data, as GIO retries them, while the echo is read; 2 MB arrive
 * intact. */
START_TEST (test_pollable_write_would_block)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autofree guint8 *data = pattern (2 * MB);
  g_autofree guint8 *back = g_malloc0 (2 * MB);
  TestServer server = { .mode = SERVE_LATE_ECHO };
  GPollableInputStream *in;
  GPollableOutputStream *out;
  guint write_blocked = 0;
  gsize put = 0, got = 0;

  stream = connect_pollable (&server);
  set_small_send_buffer (stream);
  in = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (stream));
  out = G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (stream));
  while (got < 2 * MB)
    {
      gboolean wrote = FALSE, read = FALSE;
      gssize n;

      if (put < 2 * MB)
        {
          n = g_pollable_output_stream_write_nonblocking (out, data + put, MIN (20000, 2 * MB - put),
                                                          NULL, &error);
          if (n < 0)
            {
              ck_assert_msg (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK),
                             "write: %s", error->message);
              g_clear_error (&error);
              write_blocked++;
            }
          else
            {
              put += n;
              wrote = TRUE;
            }
        }
      n = g_pollable_input_stream_read_nonblocking (in, back + got, 2 * MB - got, NULL, &error);
      if (n < 0)
        {
          ck_assert_msg (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK),
                         "read: %s", error->message);
          g_clear_error (&error);
        }
      else
        {
          ck_assert_msg (n > 0, "unexpected end of stream");
          got += n;
          read = TRUE;
        }
      if (!wrote && !read)
        {
          GSource *sources[3] = { g_pollable_input_stream_create_source (in, NULL), NULL, NULL };

          if (put < 2 * MB)
            sources[1] = g_pollable_output_stream_create_source (out, NULL);
          ck_assert_msg (wait_sources (5000, sources), "stalled: put %" G_GSIZE_FORMAT
                         " got %" G_GSIZE_FORMAT, put, got);
        }
    }
  ck_assert_uint_gt (write_blocked, 0);
  ck_assert (memcmp (data, back, 2 * MB) == 0);

  ck_assert (g_io_stream_close (stream, NULL, &error));
  server_join (&server);
  ck_assert_uint_eq (server.echoed, 2 * MB);
  server_clear (&server);
}
END_TEST

/* A write abandoned after WOULD_BLOCK (what a cancelled async write does)
 * leaves half a record on the wire: the next write must fail, not send a
 * different record's tail. */
START_TEST (test_pollable_abandoned_write)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autofree guint8 *data = pattern (MB);
  TestServer server = { .mode = SERVE_LATE_ECHO };
  GPollableOutputStream *out;
  gsize put = 0;
  gssize n;

  stream = connect_pollable (&server);
  set_small_send_buffer (stream);
  out = G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (stream));
  for (;;)
    {
      ck_assert_msg (put < MB, "1 MB written without the socket ever filling up");
      n = g_pollable_output_stream_write_nonblocking (out, data + put, 20000, NULL, &error);
      if (n < 0)
        break;
      put += n;
    }
  ck_assert_msg (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK), "%s", error->message);
  g_clear_error (&error);

  n = g_pollable_output_stream_write_nonblocking (out, "x", 1, NULL, &error);
  ck_assert_int_eq (n, -1);
  ck_assert_msg (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE), "%s", error->message);
  assert_one_line (error);
  g_clear_error (&error);
  /* Writable (it fails at once) and stays broken. */
  ck_assert (g_pollable_output_stream_is_writable (out));
  ck_assert (!g_output_stream_write_all (G_OUTPUT_STREAM (out), data, 20000, NULL, NULL, &error));
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE));
  g_clear_error (&error);

  (void) g_io_stream_close (stream, NULL, NULL);
  server_clear (&server);
}
END_TEST

static Suite *
tls_suite (void)
{
  Suite *suite = suite_create ("tls-pollable");
  TCase *tc;

  tc = tcase_create ("pollable");
  tcase_set_timeout (tc, 30);
  tcase_add_test (tc, test_pollable_would_block);
  tcase_add_test (tc, test_pollable_partial_records);
  tcase_add_test (tc, test_pollable_pending_after_read);
  tcase_add_test (tc, test_pollable_write_would_block);
  tcase_add_test (tc, test_pollable_abandoned_write);
  suite_add_tcase (suite, tc);
  return suite;
}

int
main (void)
{
  return mailsync_test_run (tls_suite ());
}
