package web

import (
	"regexp"
	"slices"
	"testing"
)

// Every string the moderation UI's templates and script translate has
// its Russian, and every counted string its forms in both languages: a
// string added in English only fails here, not in front of a moderator.
func TestModerationCatalogueComplete(t *testing.T) {
	var keys, counted []string
	tmpl, err := modTemplateFS.ReadDir("templates")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range tmpl {
		b, err := modTemplateFS.ReadFile("templates/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`\.T "((?:[^"\\]|\\.)*)"`).FindAllStringSubmatch(string(b), -1) {
			keys = append(keys, m[1])
		}
		for _, m := range regexp.MustCompile(`\.N "((?:[^"\\]|\\.)*)"`).FindAllStringSubmatch(string(b), -1) {
			counted = append(counted, m[1])
		}
	}
	var js []byte
	for _, name := range []string{"assets/moderation.js"} {
		b, err := modAssets.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		js = append(js, b...)
	}
	for _, m := range regexp.MustCompile(`\bt\('((?:[^'\\]|\\.)*)'`).FindAllStringSubmatch(string(js), -1) {
		keys = append(keys, m[1])
	}
	for _, m := range regexp.MustCompile(`\btn\('((?:[^'\\]|\\.)*)'`).FindAllStringSubmatch(string(js), -1) {
		counted = append(counted, m[1])
	}
	// Strings the code passes in: statuses, roles, reasons, event types.
	keys = append(keys, "pending", "held", "approved", "rejected", "moderator", "admin",
		"CommentSubmitted", "CommentApproved", "CommentRejected", "CommentHeld", "CommentReported", setupGone)
	for _, r := range reportReasons {
		keys = append(keys, r.Label)
	}
	if len(keys) < 80 || len(counted) < 8 {
		t.Fatalf("found %d strings and %d counted ones: the patterns no longer match the sources", len(keys), len(counted))
	}
	slices.Sort(keys)
	for _, k := range slices.Compact(keys) {
		if _, ok := catalogue["ru"][k]; !ok {
			t.Errorf("no Russian for %q", k)
		}
	}
	slices.Sort(counted)
	for _, k := range slices.Compact(counted) {
		for _, lang := range []string{"en", "ru"} {
			forms := pluralCatalogue[lang][k]
			need := []string{"one"}
			if lang == "ru" {
				need = []string{"one", "few", "many"}
			}
			for _, f := range need {
				if _, ok := forms[f]; !ok {
					t.Errorf("%s: no %q form of %q", lang, f, k)
				}
			}
		}
	}
}

func TestPluralForms(t *testing.T) {
	for _, tt := range []struct {
		lang string
		n    int
		want string
	}{
		{"en", 0, "0 comments"}, {"en", 1, "1 comment"}, {"en", 2, "2 comments"},
		{"ru", 1, "1 комментарий"}, {"ru", 2, "2 комментария"}, {"ru", 5, "5 комментариев"},
		{"ru", 11, "11 комментариев"}, {"ru", 21, "21 комментарий"}, {"ru", 22, "22 комментария"},
		{"ru", 112, "112 комментариев"}, {"ru", 0, "0 комментариев"},
	} {
		if got := plural(tt.lang, "%d comments", tt.n); got != tt.want {
			t.Errorf("plural(%s, %d) = %q, want %q", tt.lang, tt.n, got, tt.want)
		}
	}
}

// Every string the article page translates has its Russian.
func TestArticlePageCatalogueComplete(t *testing.T) {
	var keys []string
	for _, m := range regexp.MustCompile(`call \$?\.T "((?:[^"\\]|\\.)*)"`).FindAllStringSubmatch(articleHTML, -1) {
		keys = append(keys, m[1])
	}
	for _, m := range editMessages {
		keys = append(keys, m)
	}
	if len(keys) < 20 {
		t.Fatalf("found %d strings: the pattern no longer matches the template", len(keys))
	}
	for _, k := range keys {
		if _, ok := catalogue["ru"][k]; !ok {
			t.Errorf("no Russian for %q", k)
		}
	}
}
