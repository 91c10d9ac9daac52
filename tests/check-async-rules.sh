#!/bin/sh
# The async rules of the library (doc/design.md, "The async model"),
# checked on its sources:
#  1. nothing in libmailsync/ iterates a main context or runs a loop but
#     mailsync-worker.c (the await helper, the sync wrapper, the workers);
#     g_main_context_invoke() is banned too (it runs the function at once
#     when the target context happens to be free);
#  2. every function that returns a GTask's result (g_task_propagate_*)
#     first checks it with g_task_is_valid(), unless it is a result the
#     function awaited itself;
#  3. every file that makes a GTask gives its tasks source tags.
# Prints TAP.
top=${top_srcdir:-$(dirname "$0")/..}
lib=$top/libmailsync
n=0
fail=0

report() { # ok-flag label detail
  n=$((n + 1))
  if [ "$1" = 0 ]; then
    echo "ok $n - $2"
  else
    echo "not ok $n - $2"
    printf '%s\n' "$3" | sed 's/^/# /'
    fail=1
  fi
}

found=$(grep -rn --include='*.c' -E 'g_main_context_iteration|g_main_loop_run|g_main_context_invoke' "$lib" |
        grep -v '/mailsync-worker\.c:' | grep -vE ':[0-9]+:\s*(\*|/\*)')
[ -z "$found" ]; report $? "only mailsync-worker.c iterates a main context" "$found"

unchecked=$(for f in $(grep -rl --include='*.c' g_task_propagate_ "$lib"); do
  awk -v file="$f" '
    /^[a-z_][a-z0-9_]* \(/ { fn = $1; valid = 0 }
    /g_task_is_valid/ { valid = 1 }
    /g_task_propagate_/ && !valid && !/_mailsync_await/ && !/G_TASK \(task\)/ { print file ": " fn }
  ' "$f"
done)
[ -z "$unchecked" ]; report $? "every _finish checks its result with g_task_is_valid" "$unchecked"

untagged=$(for f in $(grep -rl --include='*.c' 'g_task_new' "$lib"); do
  grep -qE 'g_task_set_source_tag|queue_job \(|new_task \(' "$f" || echo "$f"
done)
[ -z "$untagged" ]; report $? "every file that makes tasks tags them" "$untagged"

echo "1..$n"
exit $fail
