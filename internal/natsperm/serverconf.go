package natsperm

import (
	"fmt"
	"strings"
)

// PasswordVar is the environment variable that holds identity's password
// in ServerConfig: COMMENTD_NATS_API_PASSWORD for the api.
func PasswordVar(identity string) string {
	return "COMMENTD_NATS_" + strings.ToUpper(identity) + "_PASSWORD"
}

// ServerConfig is the authorization block of a nats-server configuration
// file with every identity and its permissions from Grants: what an
// external cluster needs (deploy/nats.conf is this, kept current by
// TestDeployNATSConfig). Passwords are references to environment
// variables (PasswordVar), which nats-server resolves at start, so the
// file holds no secret.
func ServerConfig() string {
	var b strings.Builder
	b.WriteString("# Generated from internal/natsperm (go test ./internal/natsperm -run DeployNATSConfig -update).\n")
	b.WriteString("# Passwords come from the environment: " + PasswordVar("<identity>") + ".\n")
	b.WriteString("authorization {\n  users: [\n")
	fmt.Fprintf(&b, "    # %s: creates, changes and deletes streams, consumers and buckets (commentd --roles setup, commentctl).\n", Operator)
	fmt.Fprintf(&b, "    {user: %s, password: $%s}\n", Operator, PasswordVar(Operator))
	for _, role := range Roles {
		p, _ := Permissions(role)
		fmt.Fprintf(&b, "    {user: %s, password: $%s, permissions: {\n", role, PasswordVar(role))
		fmt.Fprintf(&b, "      publish: {\n        allow: %s\n", list(p.Publish.Allow))
		if len(p.Publish.Deny) > 0 {
			fmt.Fprintf(&b, "        deny: %s\n", list(p.Publish.Deny))
		}
		b.WriteString("      }\n")
		fmt.Fprintf(&b, "      subscribe: {allow: %s}\n", list(p.Subscribe.Allow))
		b.WriteString("    }}\n")
	}
	b.WriteString("  ]\n}\n")
	return b.String()
}

func list(subjects []string) string {
	q := make([]string, len(subjects))
	for i, s := range subjects {
		q[i] = fmt.Sprintf("%q", s) // quoted: a "$JS…" subject is not a variable
	}
	return "[" + strings.Join(q, ", ") + "]"
}
