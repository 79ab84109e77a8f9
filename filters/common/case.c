#include "case.h"

#include <string.h>

#include "json.h"

int rft_case_reference(struct json_object *kase, struct strbuf *out, struct strbuf *err)
{
	struct json_object *genes = rft_json_get(kase, "genes");
	struct strbuf list = STRBUF_INIT;
	const char *first_sym = NULL, *first_id = NULL;
	size_t i, n, k = 0;

	if (!genes || !json_object_is_type(genes, json_type_array)) {
		strbuf_addf(err, "genes is %s, not an array", genes ? rft_json_type_name(genes) : "missing");
		return -1;
	}
	n = json_object_array_length(genes);
	strbuf_addch(&list, '[');
	for (i = 0; i < n; i++) {
		struct json_object *g = json_object_array_get_idx(genes, i);
		const char *id, *sym;

		if (!g || !json_object_is_type(g, json_type_object)) {
			strbuf_addf(err, "genes[%zu] is %s, not an object", i, rft_json_type_name(g));
			strbuf_release(&list);
			return -1;
		}
		id = rft_json_get_str(g, "hgnc");
		sym = rft_json_get_str(g, "symbol");
		if (!id || strncmp(id, "HGNC:", 5) != 0)
			continue;
		if (!first_id) {
			first_id = id;
			first_sym = sym;
		}
		if (k++)
			strbuf_addch(&list, ',');
		strbuf_addstr(&list, "{\"symbol\":");
		json_put_str_or_null(&list, sym);
		strbuf_addstr(&list, ",\"hgnc\":");
		json_put_str(&list, id);
		strbuf_addch(&list, '}');
	}
	strbuf_addch(&list, ']');
	if (!first_id) {
		strbuf_addstr(err, "case has no gene with an HGNC id");
		strbuf_release(&list);
		return -1;
	}
	strbuf_addstr(out, "{\"gene\":");
	json_put_str_or_null(out, first_sym);
	strbuf_addstr(out, ",\"hgnc\":");
	json_put_str(out, first_id);
	strbuf_addstr(out, ",\"genes\":");
	strbuf_add(out, list.buf, list.len);
	strbuf_addch(out, '}');
	strbuf_release(&list);
	return 0;
}
