# SPDX-License-Identifier: MIT
# Turns deploy/draftd.conf.example into the KEYS part of draftd.conf(5), so
# the manual lists exactly the keys the example documents (the config suite
# loads the example, so it is always true). The example's shape:
#   - the comment block before the first section is the file's header: skipped;
#   - the comments just before a key describe it ("#   x  y" lines indented
#     by two or more spaces are a table, shown as a literal display);
#   - the comments before the first [section] of a kind describe the kind;
#   - a later section of a kind already shown, or a commented-out one
#     (";[connector order]"), is an example: shown verbatim;
#   - ";key = value" is a key that is unset by default.
# POSIX awk (Debian's mawk runs it).

function esc(s) {
	gsub(/\\/, "\\e", s)
	if (s ~ /^[.']/)
		s = "\\&" s
	return s
}

function quote(s) {
	gsub(/\\/, "\\e", s)
	gsub(/"/, "\\(dq", s)
	return "\"" s "\""
}

# Prints one line of running text, a sentence per line as mdoc wants it.
function print_text(s) {
	while (match(s, /[.?!] +[A-Z$(]/)) {
		print esc(substr(s, 1, RSTART))
		s = substr(s, RSTART + RLENGTH - 1)
	}
	print esc(s)
}

# Prints lines t[1..n] of comment as text, tables as literal displays.
function print_lines(t, n,    i, lit) {
	lit = 0
	for (i = 1; i <= n; i++) {
		if (t[i] ~ /^  /) {
			if (!lit)
				print ".Bd -literal -offset indent"
			lit = 1
			print esc(t[i])
		} else {
			if (lit)
				print ".Ed"
			lit = 0
			if (t[i] != "")
				print_text(t[i])
		}
	}
	if (lit)
		print ".Ed"
}

# Prints the pending comment lines as text.
function flush_text() {
	print_lines(pend, npend)
	npend = 0
}

# Prints the pending comment lines verbatim inside an example display.
function flush_raw(    i) {
	for (i = 1; i <= npend; i++)
		print esc("# " pend[i])
	npend = 0
}

function close_block() {
	if (inlist)
		print ".El"
	if (inexample)
		print ".Ed"
	inlist = 0
	inexample = 0
}

BEGIN {
	started = 0
	npend = 0
	inlist = 0
	inexample = 0
}

/^[ \t]*$/ {
	next
}

/^#/ {
	if (!started)
		next
	line = $0
	sub(/^# ?/, "", line)
	# "--- promotion ---" banners group keys in the file; the manual has none
	if (line !~ /^---/)
		pend[++npend] = line
	next
}

/^;?\[/ {
	hdr = $0
	commented = (hdr ~ /^;/)
	sub(/^;/, "", hdr)
	kind = hdr
	sub(/^\[/, "", kind)
	sub(/[] ].*$/, "", kind)
	named = (hdr ~ /^\[[a-z]+ /)
	if (!started) {
		started = 1
		npend = 0
	}
	if (commented || (kind in seen)) {
		if (!inexample) {
			close_block()
			print ".Pp"
			print "For example:"
			print ".Bd -literal -offset indent"
			inexample = 1
		}
		flush_raw()
		print esc($0)
		next
	}
	close_block()
	seen[kind] = 1
	# "\&" after the bracket: a lone "]" would read as a closing delimiter
	print ".Ss \"" (named ? "[" kind " NAME]" : "[" kind "]") "\\&\""
	flush_text()
	print ".Bl -tag -width Ds"
	inlist = 1
	next
}

/^;?[A-Za-z_][A-Za-z0-9_.]*[ \t]*=/ {
	if (!started)
		next
	if (inexample) {
		flush_raw()
		print esc($0)
		next
	}
	kv = $0
	unset = (kv ~ /^;/)
	sub(/^;/, "", kv)
	print ".It Li " quote(kv)
	if (unset) {
		print "Unset by default; the value shown is an example."
		if (npend > 0)
			print ".br"
	}
	flush_text()
	next
}

{
	# anything else is kept where it stands
	if (inexample)
		print esc($0)
}

END {
	close_block()
}
