/* The library's one line-end converter (libmailsync/mailsync-line-ends.h,
 * issue 14 item 2): every mode on the edge cases (a CR|LF split between
 * chunks, bare CR, bare LF, a lone final CR, empty input, NUL bytes, very
 * long lines), each run on every chunk size so that chunking cannot change
 * the output, through the chunked function, the GConverter driven with
 * small output buffers, and the converter streams the IMAP spool uses;
 * then random inputs against a whole-buffer reference written here. */
#include "config.h"

#include "mailsync-test.h"
#include "mailsync-line-ends.h"

#include <string.h>

/* check's ck_assert_*() report every passing assertion's place to the
 * parent through a pipe, which costs more than the conversion in the
 * loops below: these check first and call check only on a failure. */
#define CHECK(cond, ...) G_STMT_START { if (G_UNLIKELY (!(cond))) ck_abort_msg (__VA_ARGS__); } G_STMT_END

static const char *const mode_names[] = { "TO_LF", "TO_CRLF", "TO_CRLF_KEEP" };

/* The specification, on the whole input at once. */
static GByteArray *
reference (MailsyncLineEndsMode mode, const guint8 *in, gsize len)
{
  GByteArray *out = g_byte_array_new ();

  for (gsize i = 0; i < len; i++)
    {
      switch (mode)
        {
        case MAILSYNC_LINE_ENDS_TO_LF:
          if (in[i] == '\r' && i + 1 < len && in[i + 1] == '\n')
            continue;  /* the LF is written next */
          break;
        case MAILSYNC_LINE_ENDS_TO_CRLF:
          if (in[i] == '\n')
            g_byte_array_append (out, (const guint8 *) "\r", 1);
          break;
        case MAILSYNC_LINE_ENDS_TO_CRLF_KEEP:
          if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
            g_byte_array_append (out, (const guint8 *) "\r", 1);
          break;
        }
      g_byte_array_append (out, in + i, 1);
    }
  return out;
}

/* The chunked function, @chunk bytes at a time. */
static GByteArray *
convert_chunked (MailsyncLineEndsMode mode, const guint8 *in, gsize len, gsize chunk)
{
  GByteArray *out = g_byte_array_new ();
  g_autofree guint8 *buf = g_malloc (MAILSYNC_LINE_ENDS_MAX_OUT (chunk) + 1);
  MailsyncLineEnds state;
  gsize n;

  _mailsync_line_ends_init (&state, mode);
  for (gsize pos = 0; pos < len; pos += n)
    {
      gsize o;

      n = MIN (chunk, len - pos);
      /* A guard byte past the promised bound catches an overrun. */
      buf[MAILSYNC_LINE_ENDS_MAX_OUT (n)] = 0xA5;
      o = _mailsync_line_ends_convert (&state, in + pos, n, buf);
      CHECK (o <= MAILSYNC_LINE_ENDS_MAX_OUT (n), "%" G_GSIZE_FORMAT " bytes out of %" G_GSIZE_FORMAT, o, n);
      CHECK (buf[MAILSYNC_LINE_ENDS_MAX_OUT (n)] == 0xA5, "wrote past MAILSYNC_LINE_ENDS_MAX_OUT");
      g_byte_array_append (out, buf, (guint) o);
    }
  n = _mailsync_line_ends_finish (&state, buf);
  CHECK (n <= 1, "finish wrote %" G_GSIZE_FORMAT " bytes", n);
  g_byte_array_append (out, buf, (guint) n);
  return out;
}

/* The GConverter, given @chunk input bytes and @space output bytes per
 * call, as a converter stream could. */
static GByteArray *
convert_gconverter (MailsyncLineEndsMode mode, const guint8 *in, gsize len, gsize chunk, gsize space)
{
  g_autoptr(GConverter) converter = _mailsync_line_ends_converter_new (mode);
  GByteArray *out = g_byte_array_new ();
  g_autofree guint8 *buf = g_malloc (space);
  gsize pos = 0;
  /* Each call moves at least one byte in or out, or the test fails. */
  gsize calls = 0;
  gsize max_calls = 4 * len + 8;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gsize n = MIN (chunk, len - pos);
      GConverterFlags flags = pos + n == len ? G_CONVERTER_INPUT_AT_END : G_CONVERTER_NO_FLAGS;
      gsize read = 0;
      gsize written = 0;
      GConverterResult result = g_converter_convert (converter, in + pos, n, buf, space, flags, &read,
                                                     &written, &error);

      if (result == G_CONVERTER_ERROR && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE) && space < 2)
        {
          /* What the converter streams do: retry with more room. One
           * byte of input never needs more than two. */
          space = 2;
          buf = g_realloc (buf, space);
          continue;
        }
      CHECK (result != G_CONVERTER_ERROR, "convert failed: %s", error ? error->message : "?");
      CHECK (read <= n && written <= space, "read %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT ", wrote %"
             G_GSIZE_FORMAT " in %" G_GSIZE_FORMAT, read, n, written, space);
      CHECK (read > 0 || written > 0 || result == G_CONVERTER_FINISHED, "no progress");
      g_byte_array_append (out, buf, (guint) written);
      pos += read;
      if (result == G_CONVERTER_FINISHED)
        break;
      CHECK (++calls < max_calls, "more than %" G_GSIZE_FORMAT " calls", max_calls);
    }
  ck_assert_uint_eq (pos, len);
  return out;
}

/* The converter streams, read and written @chunk bytes at a time. */
static GByteArray *
convert_streams (MailsyncLineEndsMode mode, const guint8 *in, gsize len, gsize chunk, gboolean output)
{
  g_autoptr(GConverter) converter = _mailsync_line_ends_converter_new (mode);
  g_autoptr(GError) error = NULL;
  GByteArray *out = g_byte_array_new ();
  g_autofree guint8 *buf = g_malloc (chunk);

  if (output)
    {
      g_autoptr(GOutputStream) memory = g_memory_output_stream_new_resizable ();
      g_autoptr(GOutputStream) stream = g_converter_output_stream_new (memory, converter);

      for (gsize pos = 0; pos < len; pos += MIN (chunk, len - pos))
        CHECK (g_output_stream_write_all (stream, in + pos, MIN (chunk, len - pos), NULL, NULL, &error),
               "write: %s", error ? error->message : "?");
      ck_assert_msg (g_output_stream_close (stream, NULL, &error), "close: %s", error ? error->message : "?");
      g_byte_array_append (out, g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (memory)),
                           (guint) g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (memory)));
    }
  else
    {
      g_autoptr(GInputStream) memory = g_memory_input_stream_new_from_data (in, (gssize) len, NULL);
      g_autoptr(GInputStream) stream = g_converter_input_stream_new (memory, converter);
      gssize n;

      while ((n = g_input_stream_read (stream, buf, chunk, NULL, &error)) > 0)
        g_byte_array_append (out, buf, (guint) n);
      ck_assert_msg (n == 0, "read: %s", error ? error->message : "?");
    }
  return out;
}

static void
assert_bytes (GByteArray *got, const guint8 *want, gsize want_len, const char *what, MailsyncLineEndsMode mode,
              gsize chunk)
{
  gsize at = 0;

  while (at < got->len && at < want_len && got->data[at] == want[at])
    at++;
  CHECK (got->len == want_len && at == want_len,
                 "%s %s, chunk %" G_GSIZE_FORMAT ": %u bytes, want %" G_GSIZE_FORMAT
                 ", first difference at %" G_GSIZE_FORMAT,
                 what, mode_names[mode], chunk, got->len, want_len, at);
}

/* Every way of converting @in in @mode gives @want (the reference's
 * output when NULL): every chunk size up to @max_chunk (the input's length
 * plus one when 0), then the sizes in @extra. */
static void
check_all_ways (MailsyncLineEndsMode mode, const guint8 *in, gsize len, const guint8 *want, gsize want_len,
                gsize max_chunk, const gsize *extra, gsize n_extra)
{
  g_autoptr(GByteArray) ref = reference (mode, in, len);
  g_autoptr(GArray) chunks = g_array_new (FALSE, FALSE, sizeof (gsize));

  if (want == NULL)
    {
      want = ref->data;
      want_len = ref->len;
    }
  else
    assert_bytes (ref, want, want_len, "reference", mode, len);
  if (max_chunk == 0)
    max_chunk = len + 1;
  for (gsize k = 1; k <= max_chunk; k++)
    g_array_append_val (chunks, k);
  g_array_append_vals (chunks, extra, (guint) n_extra);

  for (guint c = 0; c < chunks->len; c++)
    {
      gsize k = g_array_index (chunks, gsize, c);
      static const gsize spaces[] = { 1, 2, 3, 5 };
      g_autoptr(GByteArray) chunked = convert_chunked (mode, in, len, k);
      g_autoptr(GByteArray) roomy = convert_gconverter (mode, in, len, k, 2 * k + 1);

      assert_bytes (chunked, want, want_len, "chunked", mode, k);
      assert_bytes (roomy, want, want_len, "GConverter", mode, k);
      /* Output space smaller than the input: the converter must stop
       * where the output is full and never lose a held CR. */
      for (guint s = 0; s < G_N_ELEMENTS (spaces) && len <= 4096; s++)
        {
          g_autoptr(GByteArray) tight = convert_gconverter (mode, in, len, k, spaces[s]);
          assert_bytes (tight, want, want_len, "GConverter, tight output", mode, k);
        }
      if (k <= 8 || k >= len)
        {
          g_autoptr(GByteArray) read = convert_streams (mode, in, len, k, FALSE);
          g_autoptr(GByteArray) written = convert_streams (mode, in, len, k, TRUE);
          assert_bytes (read, want, want_len, "converter input stream", mode, k);
          assert_bytes (written, want, want_len, "converter output stream", mode, k);
        }
    }
}

typedef struct
{
  const char *name;
  const char *in;
  gsize len;            /* the inputs hold NULs */
  const char *want[3];  /* TO_LF, TO_CRLF, TO_CRLF_KEEP */
  gsize want_len[3];
} Case;

#define S(s) s, sizeof s - 1
#define W(lf, crlf, keep) { lf, crlf, keep }, { sizeof lf - 1, sizeof crlf - 1, sizeof keep - 1 }

static const Case cases[] = {
  { "empty", S (""), W ("", "", "") },
  { "CRLF lines", S ("a\r\nb\r\n"), W ("a\nb\n", "a\r\r\nb\r\r\n", "a\r\nb\r\n") },
  { "bare LF lines", S ("a\nb\n"), W ("a\nb\n", "a\r\nb\r\n", "a\r\nb\r\n") },
  { "bare CRs", S ("a\rb\r\rc"), W ("a\rb\r\rc", "a\rb\r\rc", "a\rb\r\rc") },
  { "lone final CR", S ("a\r"), W ("a\r", "a\r", "a\r") },
  { "only a CR", S ("\r"), W ("\r", "\r", "\r") },
  { "CR CR LF", S ("\r\r\n"), W ("\r\n", "\r\r\r\n", "\r\r\n") },
  { "LF first", S ("\nx"), W ("\nx", "\r\nx", "\r\nx") },
  { "LF CR", S ("\n\r"), W ("\n\r", "\r\n\r", "\r\n\r") },
  { "CRLF CRLF", S ("\r\n\r\n"), W ("\n\n", "\r\r\n\r\r\n", "\r\n\r\n") },
  { "mixed", S ("H: v\r\nX: y\n\r\nbody\rmore\n\n"),
    W ("H: v\nX: y\n\nbody\rmore\n\n", "H: v\r\r\nX: y\r\n\r\r\nbody\rmore\r\n\r\n",
       "H: v\r\nX: y\r\n\r\nbody\rmore\r\n\r\n") },
  { "NUL bytes", S ("a\0\r\n\0\n\0\r"),
    W ("a\0\n\0\n\0\r", "a\0\r\r\n\0\r\n\0\r", "a\0\r\n\0\r\n\0\r") },
  { "NUL between CR and LF", S ("\r\0\n"), W ("\r\0\n", "\r\0\r\n", "\r\0\r\n") },
};

START_TEST (test_case)
{
  const Case *c = &cases[_i];

  for (int mode = 0; mode < 3; mode++)
    check_all_ways (mode, (const guint8 *) c->in, c->len, (const guint8 *) c->want[mode], c->want_len[mode], 0,
                    NULL, 0);
}
END_TEST

/* Lines longer than any buffer (the copies read 64 KiB at a time), with
 * their line ends on and around the buffer boundaries. */
START_TEST (test_long_lines)
{
  static const gsize extra[] = { 4095, 4096, 4097, 65535, 65536, 65537, 131072, 200000 };
  static const gsize ends[] = { 0, 1, 4095, 4096, 65535, 65536, 65537, 131071, 199998 };
  g_autofree guint8 *in = g_malloc (200000);

  for (gsize i = 0; i < 200000; i++)
    in[i] = (guint8) ('a' + i % 26);
  for (guint e = 0; e < G_N_ELEMENTS (ends); e++)
    {
      /* A CRLF, a bare LF just after it and a bare CR 300 bytes on. */
      in[ends[e]] = '\r';
      in[ends[e] + 1] = '\n';
    }
  in[65536 + 300] = '\r';
  in[4096 + 2] = '\n';
  for (int mode = 0; mode < 3; mode++)
    check_all_ways (mode, in, 200000, NULL, 0, 16, extra, G_N_ELEMENTS (extra));
}
END_TEST

/* Random inputs of the bytes that matter, with a fixed seed: every chunk
 * size against the reference, and the round trips the IMAP spool relies
 * on (TO_CRLF undoes TO_LF on a message without bare LF, TO_LF undoes
 * TO_CRLF on anything). */
START_TEST (test_random)
{
  static const guint8 alphabet[] = { 'a', '\r', '\n', '\0' };
  g_autoptr(GRand) rand = g_rand_new_with_seed (14);

  for (guint round = 0; round < 300; round++)
    {
      gsize len = (gsize) g_rand_int_range (rand, 0, 48);
      g_autofree guint8 *in = g_malloc (len + 1);
      gboolean bare_lf = FALSE;

      for (gsize i = 0; i < len; i++)
        {
          in[i] = alphabet[g_rand_int_range (rand, 0, G_N_ELEMENTS (alphabet))];
          if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
            bare_lf = TRUE;
        }
      for (int mode = 0; mode < 3; mode++)
        check_all_ways (mode, in, len, NULL, 0, 0, NULL, 0);
      {
        g_autoptr(GByteArray) crlf = convert_chunked (MAILSYNC_LINE_ENDS_TO_CRLF, in, len, 3);
        g_autoptr(GByteArray) back = convert_chunked (MAILSYNC_LINE_ENDS_TO_LF, crlf->data, crlf->len, 2);
        assert_bytes (back, in, len, "TO_LF after TO_CRLF", MAILSYNC_LINE_ENDS_TO_LF, 2);
      }
      if (!bare_lf)
        {
          g_autoptr(GByteArray) lf = convert_chunked (MAILSYNC_LINE_ENDS_TO_LF, in, len, 2);
          g_autoptr(GByteArray) back = convert_chunked (MAILSYNC_LINE_ENDS_TO_CRLF, lf->data, lf->len, 3);
          assert_bytes (back, in, len, "TO_CRLF after TO_LF", MAILSYNC_LINE_ENDS_TO_CRLF, 3);
        }
    }
}
END_TEST

/* g_converter_reset() forgets a held CR, as a stream restarted on other
 * data must. */
START_TEST (test_reset)
{
  g_autoptr(GConverter) converter = _mailsync_line_ends_converter_new (MAILSYNC_LINE_ENDS_TO_LF);
  g_autoptr(GError) error = NULL;
  guint8 out[8];
  gsize read = 0;
  gsize written = 0;

  ck_assert_int_eq (g_converter_convert (converter, "a\r", 2, out, sizeof out, G_CONVERTER_NO_FLAGS, &read,
                                         &written, &error), G_CONVERTER_CONVERTED);
  ck_assert_uint_eq (read, 2);
  ck_assert_uint_eq (written, 1);
  g_converter_reset (converter);
  /* Without the reset, the held CR would come out before the x. */
  ck_assert_int_eq (g_converter_convert (converter, "x", 1, out, sizeof out, G_CONVERTER_INPUT_AT_END, &read,
                                         &written, &error), G_CONVERTER_FINISHED);
  ck_assert_uint_eq (read, 1);
  ck_assert_uint_eq (written, 1);
  ck_assert_uint_eq (out[0], 'x');
}
END_TEST

static Suite *
line_ends_suite (void)
{
  Suite *s = suite_create ("line-ends");
  TCase *tc = tcase_create ("line-ends");

  /* A deadline, not a wait: check's default of 4 s per test is too short
   * for test_random under ASan on a loaded machine (3 s at load 13; the
   * clean-clone run of f383f3b timed out). */
  tcase_set_timeout (tc, 300);
  tcase_add_loop_test (tc, test_case, 0, G_N_ELEMENTS (cases));
  tcase_add_test (tc, test_long_lines);
  tcase_add_test (tc, test_random);
  tcase_add_test (tc, test_reset);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return mailsync_test_run (line_ends_suite ());
}
