#!/bin/sh
# install.sh - what `make install` and `make uninstall` run (see Makefile):
#
#   sh bin/install.sh install   DESTDIR BINDIR MAN1DIR DATADIR PROGRAM...
#   sh bin/install.sh uninstall DESTDIR DATADIR
#
# install copies the programs to BINDIR, man/*.1 to MAN1DIR, and to DATADIR
# the reference data (HPO, HGNC), the bundled sample and the pipelines with
# their templates; every file and every folder it had to make is listed in
# DATADIR/MANIFEST (paths without DESTDIR), which uninstall reads to remove
# exactly those files, then the folders it made once they are empty.
# Files are copied to a temporary name and renamed: no half-installed file.
set -eu

die() { echo "install.sh: $*" >&2; exit "${code:-1}"; }

[ $# -ge 3 ] || { code=64 die "usage: install.sh install|uninstall DESTDIR ..."; }
verb=$1 destdir=$2
shift 2

list=""     # the new manifest, built in a temporary file
made=""     # folders made, in order

mkdirs() {  # mkdirs DIR: make DIR and its missing parents, recording each
	case "$1" in /|"") return 0 ;; esac
	[ -d "$destdir$1" ] && return 0
	mkdirs "$(dirname "$1")"
	mkdir "$destdir$1"
	echo "d $1" >> "$list"
}

put() {  # put MODE DIR FILE...: copy each FILE into DIR
	mode=$1 dir=$2
	shift 2
	mkdirs "$dir"
	for f in "$@"; do
		[ -f "$f" ] || { code=66 die "'$f' is missing: run make first"; }
		to="$dir/$(basename "$f")"
		cp "$f" "$destdir$to.tmp$$"
		chmod "$mode" "$destdir$to.tmp$$"
		mv -f "$destdir$to.tmp$$" "$destdir$to"
		echo "f $to" >> "$list"
	done
}

case "$verb" in
install)
	[ $# -ge 4 ] || { code=64 die "usage: install.sh install DESTDIR BINDIR MAN1DIR DATADIR PROGRAM..."; }
	bindir=$1 man1dir=$2 datadir=$3
	shift 3
	for d in "$bindir" "$man1dir" "$datadir"; do
		case "$d" in /*) ;; *) code=64 die "'$d' is not an absolute path (give PREFIX=/absolute/path)" ;; esac
	done
	manifest="$datadir/MANIFEST"
	list=$(mktemp "${TMPDIR:-/tmp}/rftkit-manifest.XXXXXX")
	trap 'rm -f "$list"' EXIT
	# folders an earlier install made stay ours to remove
	if [ -f "$destdir$manifest" ]; then
		grep '^d ' "$destdir$manifest" >> "$list" || true
	fi
	put 755 "$bindir" "$@"
	put 644 "$man1dir" man/*.1
	put 644 "$datadir/hpo" testdata/hpo/*.gz testdata/hpo/README.md
	put 644 "$datadir/hgnc" testdata/hgnc/*.gz testdata/hgnc/README.md
	put 644 "$datadir/phenopacket-store" testdata/phenopacket-store/all_phenopackets-sample.zip \
		testdata/phenopacket-store/LICENSE testdata/phenopacket-store/README.md
	put 644 "$datadir/pipelines" pipelines/*.yaml
	put 644 "$datadir/pipelines/templates" pipelines/templates/*.tmpl
	# files an earlier install put that this one does not: removed
	if [ -f "$destdir$manifest" ]; then
		grep '^f ' "$destdir$manifest" | while IFS= read -r line; do
			grep -qxF -- "$line" "$list" || rm -f "$destdir${line#f }"
		done
	fi
	awk '!seen[$0]++' "$list" > "$destdir$manifest.tmp$$"
	chmod 644 "$destdir$manifest.tmp$$"
	mv -f "$destdir$manifest.tmp$$" "$destdir$manifest"
	;;
uninstall)
	datadir=$1
	manifest="$datadir/MANIFEST"
	[ -f "$destdir$manifest" ] || { code=66 die "no '$destdir$manifest': nothing was installed there (give the PREFIX and DESTDIR of make install)"; }
	dirs=$(grep '^d ' "$destdir$manifest" | sort -r) || true
	grep '^f ' "$destdir$manifest" | while IFS= read -r line; do
		rm -f "$destdir${line#f }"
	done
	rm -f "$destdir$manifest"
	# the folders install made, deepest first, when nothing else is left in them
	printf '%s\n' "$dirs" | while IFS= read -r line; do
		[ -n "$line" ] || continue
		d="$destdir${line#d }"
		[ -d "$d" ] || continue
		if [ -z "$(ls -A "$d")" ]; then
			rmdir "$d"
		else
			echo "install.sh: kept '$d': it holds files install did not put there" >&2
		fi
	done
	;;
*)
	code=64 die "unknown verb '$verb' (install, uninstall)"
	;;
esac
