package accounts

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"

	"github.com/newsroom/commentd/events"
)

// Limits on a password.
const (
	// MinPasswordLen is in characters, not bytes: "пароль" is 6, not 12.
	MinPasswordLen = 10
	// MaxPasswordLen is bcrypt's limit, in bytes: it ignores what follows.
	MaxPasswordLen = 72
	// MinPasswordScore is the zxcvbn score a new password needs (0 to 4):
	// 3 is "safely unguessable" to an attacker who holds the bcrypt hash,
	// about 10^8 guesses or more. Common passwords, keyboard walks,
	// repeats and the account's own name all score below it.
	MinPasswordScore = 3
)

// CheckPassword says what is wrong with a new password for the account
// name, if anything. Strength is estimated by zxcvbn (Dropbox's estimator,
// which knows the common-password lists, dictionaries, keyboard patterns
// and dates); the messages say what to do, in English and Russian.
func CheckPassword(name, pw string) error {
	invalid := func(en, ru string) error { return fmt.Errorf("%w: %s / %s", events.ErrInvalid, en, ru) }
	switch {
	case !utf8.ValidString(pw):
		return invalid("a password must be valid UTF-8", "пароль должен быть в кодировке UTF-8")
	case strings.IndexFunc(pw, unicode.IsControl) >= 0:
		return invalid("a password cannot contain control characters", "пароль не может содержать управляющие символы")
	case utf8.RuneCountInString(pw) < MinPasswordLen:
		return invalid(fmt.Sprintf("a password is at least %d characters", MinPasswordLen), fmt.Sprintf("пароль — не короче %d символов", MinPasswordLen))
	case len(pw) > MaxPasswordLen:
		return invalid(fmt.Sprintf("a password is at most %d bytes (in UTF-8)", MaxPasswordLen), fmt.Sprintf("пароль — не длиннее %d байт (в UTF-8)", MaxPasswordLen))
	}
	if zxcvbn.PasswordStrength(pw, []string{name, "commentd", "moderator", "admin"}).Score < MinPasswordScore {
		return invalid("this password is too easy to guess (a common password, a pattern or a repeat); use a few unrelated words",
			"этот пароль легко подобрать (распространённый пароль, шаблон или повтор); возьмите несколько не связанных слов")
	}
	return nil
}
