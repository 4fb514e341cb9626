package profiletest

// QuoteCases are words and how ShellQuote must quote them, for the tests
// of quoting and of reading a flags line back.
var QuoteCases = []struct{ In, Want string }{
	{"abc", "abc"},
	{"--security-opt=seccomp=/profiles/web/seccomp.json", "--security-opt=seccomp=/profiles/web/seccomp.json"},
	{"", "''"},
	{"a b", "'a b'"},
	{"a b'c", `'a b'\''c'`},
	{"'", `''\'''`},
	{`say "hi"`, `'say "hi"'`},
	{"$HOME", "'$HOME'"},
	{"$(id)", "'$(id)'"},
	{"`id`", "'`id`'"},
	{`back\slash`, `'back\slash'`},
	{"two\nlines", "'two\nlines'"},
	{"tab\there", "'tab\there'"},
	{"glob*?[x]", "'glob*?[x]'"},
	{"~user", "'~user'"},
	{"a;b&c|d", "'a;b&c|d'"},
	{"#comment", "'#comment'"},
	{"é", "'é'"},
}
