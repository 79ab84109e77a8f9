/* meteor-porter.c - t0545's driver: one word a stdin line, "word<TAB>stem" a stdout line */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/grader/porter.h"
#include "common/util.h"

int main(void)
{
	char line[4096];

	rft_init("meteor-porter");
	while (fgets(line, sizeof(line), stdin)) {
		size_t n = strcspn(line, "\n");
		char *s;

		line[n] = 0;
		s = rft_porter_stemn(line, n);
		printf("%s\t%s\n", line, s);
		free(s);
	}
	return rft_finish(0);
}
