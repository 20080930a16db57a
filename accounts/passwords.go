package accounts

import (
	"fmt"
	"math"
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

// Limits on a bootstrap secret such as the admin token, which a machine
// holds and nobody types: it must stand up to online guessing forever.
const (
	MinSecretLen = 32
	// MinSecretBits is zxcvbn's estimate, log2 of the guesses; its model
	// counts a random hex digit as log2(10), so 32 random hex digits
	// (128 bits) score about 106 and a phrase of six words about 100.
	MinSecretBits = 100
)

// SecretHowTo is how to make a secret CheckSecret takes.
const SecretHowTo = "openssl rand -hex 32"

// CheckSecret says why a configured secret is too easy to guess, if it is.
func CheckSecret(s string) error {
	if len(s) < MinSecretLen {
		return fmt.Errorf("%w: at least %d characters; make one with: %s", events.ErrInvalid, MinSecretLen, SecretHowTo)
	}
	if bits := math.Log2(zxcvbn.PasswordStrength(s, nil).Guesses); bits < MinSecretBits {
		return fmt.Errorf("%w: too easy to guess (about %.0f bits, %d needed); make one with: %s", events.ErrInvalid, bits, MinSecretBits, SecretHowTo)
	}
	return nil
}
