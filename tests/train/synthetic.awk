# synthetic candidate pools: feature 4 (exact) is 1 for the causal gene, 0
# otherwise; the others are noise; usage: awk -v n=N -v c=C -v seed=S -v tag=T
function rnd() { state = (state * 1103515245 + 12345) % 2147483648; return state / 2147483648 }
BEGIN {
	state = seed
	for (i = 1; i <= n; i++) {
		causal = 1 + int(rnd() * c)
		printf "{\"id\":\"%s%d\",\"reference\":{\"genes\":[{\"symbol\":\"%sC%dG%d\",\"hgnc\":null}]},\"candidates\":[", tag, i, tag, i, causal
		for (j = 1; j <= c; j++) {
			printf "%s{\"symbol\":\"%sC%dG%d\",\"units\":[[%.3f,%.3f,%.3f,%d,%.3f,%.3f,%.3f,%.3f]]}", (j > 1 ? "," : ""), tag, i, j,
				3 * rnd(), 2 * rnd(), rnd(), (j == causal), 4 * rnd(), 3 * rnd(), rnd(), rnd()
		}
		printf "]}\n"
	}
}
