/* SPDX-License-Identifier: MIT */
/* draftd user add|passwd|disable|enable|role|list: the people who sign in to
 * the reviewer page (issue 16). Passwords are read from the terminal (twice,
 * not echoed) or, with --password-stdin, as the first line of standard input
 * (for scripts); never from the command line, where ps shows them. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "daemon/cmd.h"
#include "daemon/lib/util.h"
#include "daemon/store/store_people.h"
#include "daemon/store/store_signin.h"
#include "ui-api/auth/auth_password.h"

/* Shorter passwords are refused: NIST SP 800-63B asks for at least 8, and a
 * shared support inbox is worth more than that. */
#define USER_PASSWORD_MIN 12

struct user_args {
	const char *action, *login, *role, *name, *email;
	bool password_stdin, no_password;
};

/* One line of at most AUTH_PASSWORD_MAX bytes from in into buf (its newline
 * removed). Returns 0, -1 on EOF, an error or an over-long line. */
static int user_read_line(FILE *in, char *buf, size_t size)
{
	size_t len;

	if (fgets(buf, (int)size, in) == NULL)
		return -1;
	len = strcspn(buf, "\r\n");
	if (buf[len] == '\0' && len == size - 1)
		return -1; /* longer than the buffer */
	buf[len] = '\0';
	return 0;
}

/* Reads a password with the prompt on the terminal, echo off. */
static int user_prompt(const char *prompt, char *buf, size_t size)
{
	struct termios old, quiet;
	bool restore = false;
	int r;

	fprintf(stderr, "%s", prompt);
	if (tcgetattr(STDIN_FILENO, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		restore = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
	}
	r = user_read_line(stdin, buf, size);
	if (restore)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fprintf(stderr, "\n");
	return r;
}

/* The new password's Argon2id hash into hash[size]. Returns 0, -1 after
 * saying what is wrong. */
static int user_new_password(const char *what, bool from_stdin, char *hash, size_t size)
{
	char pw[AUTH_PASSWORD_MAX + 2], again[AUTH_PASSWORD_MAX + 2];
	struct error err;
	int ret = -1;

	if (from_stdin) {
		if (user_read_line(stdin, pw, sizeof(pw)) < 0) {
			fprintf(stderr,
				"draftd user %s: no password on standard input (one line,"
				" at most %d bytes)\n",
				what, AUTH_PASSWORD_MAX);
			goto out;
		}
	} else {
		if (!isatty(STDIN_FILENO)) {
			fprintf(stderr,
				"draftd user %s: not a terminal: give the password with"
				" --password-stdin\n",
				what);
			goto out;
		}
		if (user_prompt("New password: ", pw, sizeof(pw)) < 0 ||
		    user_prompt("Again: ", again, sizeof(again)) < 0) {
			fprintf(stderr, "draftd user %s: no password read\n", what);
			goto out;
		}
		if (strcmp(pw, again) != 0) {
			fprintf(stderr, "draftd user %s: the two passwords differ\n", what);
			goto out;
		}
	}
	if (strlen(pw) < USER_PASSWORD_MIN) {
		fprintf(stderr, "draftd user %s: the password is shorter than %d characters\n",
			what, USER_PASSWORD_MIN);
		goto out;
	}
	if (auth_password_hash(NULL, pw, hash, size, &err) < 0) {
		fprintf(stderr, "draftd user %s: %s\n", what, error_msg(&err));
		goto out;
	}
	ret = 0;
out:
	explicit_bzero(pw, sizeof(pw));
	explicit_bzero(again, sizeof(again));
	return ret;
}

static bool user_role_valid(const char *role)
{
	return role != NULL && (strcmp(role, "reviewer") == 0 || strcmp(role, "admin") == 0);
}

static int user_add(struct store *store, const struct user_args *a)
{
	char hash[AUTH_PASSWORD_ENCODED_MAX];
	long long id;
	int r;

	if (!user_role_valid(a->role)) {
		fprintf(stderr, "draftd user add: --role must be reviewer or admin\n");
		return 2;
	}
	if (!a->no_password && user_new_password("add", a->password_stdin, hash, sizeof(hash)) < 0)
		return 1;
	r = store_person_create(store, a->login, a->name, a->email, a->role,
				a->no_password ? NULL : hash, "cli", &id);
	if (r < 0) {
		fprintf(stderr, "draftd user add: %s\n", store_error(store));
		return 1;
	}
	if (r == 0) {
		fprintf(stderr, "draftd user add: '%s' exists already (in some letter case)\n",
			a->login);
		return 1;
	}
	printf("added %s '%s'%s\n", a->role, a->login,
	       a->no_password ? " without a password (single sign-on only)" : "");
	return 0;
}

static int user_list(struct store *store)
{
	json_t *people = NULL, *p;
	size_t i;

	if (store_person_list(store, &people) < 0) {
		fprintf(stderr, "draftd user list: %s\n", store_error(store));
		return 1;
	}
	printf("%-24s %-9s %-9s %-8s %-21s %s\n", "LOGIN", "ROLE", "SIGN-IN", "STATE", "LAST SEEN",
	       "NAME");
	json_array_foreach(people, i, p)
	{
		bool pw = json_is_true(json_object_get(p, "password"));
		bool sso = json_is_true(json_object_get(p, "sso"));
		const char *seen = json_string_value(json_object_get(p, "last_seen_at"));

		printf("%-24s %-9s %-9s %-8s %-21s %s\n",
		       json_string_value(json_object_get(p, "login")),
		       json_string_value(json_object_get(p, "role")),
		       pw && sso ? "both"
		       : pw      ? "password"
		       : sso     ? "sso"
				 : "none",
		       json_is_true(json_object_get(p, "disabled")) ? "disabled" : "active",
		       seen != NULL ? seen : "-",
		       json_string_value(json_object_get(p, "display_name")));
	}
	json_decref(people);
	return 0;
}

static int user_change(struct store *store, const struct user_args *a)
{
	char hash[AUTH_PASSWORD_ENCODED_MAX];
	int r;

	if (strcmp(a->action, "passwd") == 0) {
		if (user_new_password("passwd", a->password_stdin, hash, sizeof(hash)) < 0)
			return 1;
		r = store_person_set_password(store, a->login, hash, true, "cli");
	} else if (strcmp(a->action, "role") == 0) {
		if (!user_role_valid(a->role)) {
			fprintf(stderr, "draftd user role: --role must be reviewer or admin\n");
			return 2;
		}
		r = store_person_set_role(store, a->login, a->role, "cli");
	} else {
		r = store_person_set_disabled(store, a->login, strcmp(a->action, "disable") == 0,
					      "cli");
	}
	if (r < 0) {
		fprintf(stderr, "draftd user %s: %s\n", a->action, store_error(store));
		return 1;
	}
	if (r == 0) {
		fprintf(stderr, "draftd user %s: no person '%s', or nothing to change\n", a->action,
			a->login);
		return 1;
	}
	printf("%s: done for '%s'%s\n", a->action, a->login,
	       strcmp(a->action, "enable") == 0 || strcmp(a->action, "role") == 0
		       ? ""
		       : " (their sessions have ended)");
	return 0;
}

static int user_parse(int argc, char **argv, struct user_args *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	a->action = argv[1];
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
			a->role = argv[++i];
		else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
			a->name = argv[++i];
		else if (strcmp(argv[i], "--email") == 0 && i + 1 < argc)
			a->email = argv[++i];
		else if (strcmp(argv[i], "--password-stdin") == 0)
			a->password_stdin = true;
		else if (strcmp(argv[i], "--no-password") == 0)
			a->no_password = true;
		else if (argv[i][0] != '-' && a->login == NULL)
			a->login = argv[i];
		else {
			fprintf(stderr, "draftd user: unexpected argument '%s'\n", argv[i]);
			return -1;
		}
	}
	if (strcmp(a->action, "list") != 0 && (a->login == NULL || !person_login_valid(a->login))) {
		fprintf(stderr, "draftd user %s: LOGIN must be 1-64 of A-Z a-z 0-9 . _ @ -\n",
			a->action);
		return -1;
	}
	return 0;
}

static int user_main(int argc, char **argv)
{
	static const char *const actions[] = {"add",  "passwd", "disable", "enable",
					      "role", "list",   NULL};
	struct cmd_common common;
	struct config *config = NULL;
	struct store *store = NULL;
	struct user_args a;
	struct error err;
	int r = cmd_parse_common(&cmd_user, &argc, argv, &common, false), ret = 2;
	size_t i;

	if (r != 0)
		return r == 1 ? 0 : r;
	if (argc < 2) {
		fprintf(stderr, "usage: draftd user%s", cmd_user.usage);
		return 2;
	}
	for (i = 0; actions[i] != NULL && strcmp(actions[i], argv[1]) != 0; i++)
		;
	if (actions[i] == NULL) {
		fprintf(stderr,
			"draftd user: unknown action '%s' (add, passwd, disable, enable, role,"
			" list)\n",
			argv[1]);
		return 2;
	}
	if (user_parse(argc, argv, &a) < 0)
		return 2;
	if (cmd_load_config(config_path(common.config_path), &config) < 0) {
		ret = 1;
		goto out;
	}
	if (store_open(config->database.url, config->database.connect_timeout, &store, &err) < 0) {
		fprintf(stderr, "draftd user: %s\n", error_msg(&err));
		ret = 1;
		goto out;
	}
	if (strcmp(a.action, "add") == 0)
		ret = user_add(store, &a);
	else if (strcmp(a.action, "list") == 0)
		ret = user_list(store);
	else
		ret = user_change(store, &a);
out:
	store_close(&store);
	config_unref(&config);
	return ret;
}

const struct cmd cmd_user = {
	.name = "user",
	.summary = "add, change and list the people who sign in",
	.usage = " add LOGIN --role reviewer|admin [--name NAME] [--email ADDR]\n"
		 "           [--password-stdin | --no-password]\n"
		 "       draftd user passwd LOGIN [--password-stdin]\n"
		 "       draftd user disable|enable LOGIN\n"
		 "       draftd user role LOGIN --role reviewer|admin\n"
		 "       draftd user list\n"
		 "       (each takes --config FILE)\n\n"
		 "People sign in to the reviewer page with a password (Argon2id) or through\n"
		 "the OpenID provider ([oidc]). The password is asked twice on the terminal,\n"
		 "or read as the first line of standard input with --password-stdin; at least\n"
		 "12 characters. --no-password: single sign-on only. passwd and disable end\n"
		 "the person's sessions; disable also stops their API tokens. Every change is\n"
		 "audited (actor \"cli\"). LOGIN is 1-64 of A-Z a-z 0-9 . _ @ - and is one\n"
		 "person in any letter case.\n",
	.main = user_main,
};
