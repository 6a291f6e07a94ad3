#!/bin/sh
# SPDX-License-Identifier: MIT
# Writes a C file holding every migration given as an argument, in order, as
# { version, name, sql } entries: draftd migrate needs no files at run time.
set -eu
echo '#include "daemon/store/migrations.h"'
echo 'const struct migration migrations[] = {'
for f in "$@"; do
	base=$(basename "$f" .sql)
	version=${base%%_*}
	name=${base#*_}
	printf '\t{%s, "%s",\n' "$(expr "$version" + 0)" "$name"
	# Each SQL line becomes one C string literal line.
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/\t/\\t/g' -e 's/^/\t "/' -e 's/$/\\n"/' "$f"
	printf '\t},\n'
done
echo '};'
echo 'const unsigned int migrations_count = sizeof(migrations) / sizeof(migrations[0]);'
