/* mailsync: placeholder until the CLI lands (issue 4). */
#include "config.h"
#include <stdio.h>

int
main (void)
{
  fputs ("mailsync: the command line is not built yet\n", stderr);
  return 1;
}
