package hunspell

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestForms(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "xx")
	aff := `SET UTF-8
FLAG long
NEEDAFFIX ()
SFX S. Y 2
SFX S. 0 s [^sy]
SFX S. y ies [^aeiou]y
PFX U. Y 1
PFX U. 0 un .
`
	dic := "4\ncat/S.\nfly/S.U.\nbound/()S.\nand\\/or\tpo:conj\n"
	if err := os.WriteFile(base+".aff", []byte(aff), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(base+".dic", []byte(dic), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Forms(base)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"cat", "cats", "fly", "flies", "unfly", "unflies", "bounds", "and/or"}
	if !slices.Equal(got, want) {
		t.Errorf("Forms = %q, want %q", got, want)
	}
}

func TestFormsMissing(t *testing.T) {
	if _, err := Forms(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("no error for a missing dictionary")
	}
}
