/* SPDX-License-Identifier: MIT */
/* check-config --user: can the service user read what the config names?
 * Run as root, draftd itself could read anything; the service would not. */
#include "daemon/config/config_files.h"

#include "daemon/config/config_private.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/lib/credential.h"
#include "daemon/lib/util.h"

#define FILES_MAX 256 /* files one config names; more are not checked */

struct file_ref {
	char where[320]; /* "[mailbox support] password_file" */
	unsigned int line;
	char path[PATH_MAX];
	bool dir;
};

struct file_list {
	struct file_ref refs[FILES_MAX];
	size_t count;
};

/* A secret whose environment variable is set is not read from its file. */
static bool files_env_wins(const char *var)
{
	const char *v = getenv(var);

	return v != NULL && *v != '\0';
}

/* Adds value (a path, or a credential name when secret) to the list. */
static void files_add(struct file_list *l, const struct config *c, const char *section,
		      const char *name, const char *key, unsigned int line, const char *value,
		      bool secret, bool dir)
{
	struct file_ref *r;

	if (value == NULL || *value == '\0' || l->count == FILES_MAX)
		return;
	r = &l->refs[l->count];
	if (secret && strchr(value, '/') == NULL) {
		/* a credential: only where systemd has put it */
		if (getenv("CREDENTIALS_DIRECTORY") == NULL ||
		    credential_path(value, r->path, sizeof(r->path), NULL) < 0)
			return;
	} else if (str_copy(r->path, sizeof(r->path), value) < 0) {
		return;
	}
	snprintf(r->where, sizeof(r->where), "[%s%s%s] %s", section, name != NULL ? " " : "",
		 name != NULL ? name : "", key);
	r->line = line > 0 ? line : config_key_line(c, section, name, key);
	r->dir = dir;
	l->count++;
}

static void files_collect(const struct config *c, struct file_list *l)
{
	/* connector keys naming a file; secrets among them may be credentials */
	static const struct {
		const char *key;
		bool secret;
	} conn_keys[] = {
		{"url_file", true}, {"token_file", true}, {"ca_file", false}, {"path", false}};
	size_t i, k, j;

	/* the service reads its config file too (and again on SIGHUP) */
	if (c->path != NULL && str_copy(l->refs[0].path, sizeof(l->refs[0].path), c->path) == 0) {
		str_copy(l->refs[0].where, sizeof(l->refs[0].where), "the config file");
		l->count = 1;
	}
	if (!files_env_wins("DRAFTD_DATABASE_URL"))
		files_add(l, c, "database", NULL, "url_file", 0, c->database.url_file, true, false);
	files_add(l, c, "api", NULL, "tls_cert", 0, c->api.tls_cert, true, false);
	files_add(l, c, "api", NULL, "tls_key", 0, c->api.tls_key, true, false);
	files_add(l, c, "api", NULL, "web_root", 0, c->api.web_root, false, true);
	if (!files_env_wins("DRAFTD_MODEL_API_KEY"))
		files_add(l, c, "model", NULL, "api_key_file", 0, c->model.api_key_file, true,
			  false);
	files_add(l, c, "model", NULL, "templates_dir", 0, c->model.templates_dir, false, true);
	if (!files_env_wins("DRAFTD_SMTP_PASSWORD"))
		files_add(l, c, "smtp", NULL, "password_file", 0, c->smtp.password_file, true,
			  false);
	files_add(l, c, "smtp", NULL, "tls_ca_file", 0, c->smtp.tls_ca_file, false, false);
	files_add(l, c, "agent", NULL, "rules_file", 0, c->agent.rules_file, false, false);
	for (i = 0; i < c->mailboxes_count; i++) {
		const struct mailbox_config *m = &c->mailboxes[i];

		char env[160];

		config_mailbox_env_name(m->name, env, sizeof(env));
		if (!files_env_wins(env))
			files_add(l, c, "mailbox", m->name, "password_file", 0, m->password_file,
				  true, false);
		files_add(l, c, "mailbox", m->name, "tls_ca_file", 0, m->tls_ca_file, false, false);
		if (m->auth == AUTH_OAUTH2) { /* read only then (config_finish.c) */
			files_add(l, c, "mailbox", m->name, "oauth_client_secret_file", 0,
				  m->oauth_client_secret_file, true, false);
			files_add(l, c, "mailbox", m->name, "oauth_refresh_token_file", 0,
				  m->oauth_refresh_token_file, true, false);
		}
	}
	for (i = 0; i < c->connectors_count; i++) {
		const struct connector_config *cc = &c->connectors[i];

		for (k = 0; k < cc->options_count; k++)
			for (j = 0; j < ARRAY_SIZE(conn_keys); j++)
				if (strcmp(cc->options[k].key, conn_keys[j].key) == 0)
					files_add(l, c, "connector", cc->name, cc->options[k].key,
						  cc->options[k].line, cc->options[k].value,
						  conn_keys[j].secret, false);
	}
}

/* 0 when path can be opened for reading (a directory: listed and entered),
 * else the errno. */
static int files_try(const struct file_ref *r)
{
	int fd = open(r->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | (r->dir ? O_DIRECTORY : 0));
	int err = 0;

	if (fd < 0)
		return errno;
	if (r->dir && access(r->path, X_OK) < 0)
		err = errno;
	close(fd);
	return err;
}

/* In the child: become pw, try every file, write one errno per file. */
static void files_child(const struct passwd *pw, const struct file_list *l, int out)
{
	size_t i;
	int e;

	if (getuid() != pw->pw_uid && (initgroups(pw->pw_name, pw->pw_gid) < 0 ||
				       setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0))
		_exit(3);
	for (i = 0; i < l->count; i++) {
		e = files_try(&l->refs[i]);
		if (write(out, &e, sizeof(e)) != (ssize_t)sizeof(e))
			_exit(4);
	}
	_exit(0);
}

/* Runs the checks as pw in a child; results[i] gets each file's errno.
 * Returns 0, or -1 with a reason. */
static int files_as_user(const struct passwd *pw, const struct file_list *l, int *results,
			 struct error *err)
{
	int fds[2], status = 0;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(fds) < 0) {
		error_set(err, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		error_set(err, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		files_child(pw, l, fds[1]);
	}
	close(fds[1]);
	while (got < l->count * sizeof(int)) {
		n = read(fds[0], (char *)results + got, l->count * sizeof(int) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got != l->count * sizeof(int) || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		error_set(err, "could not switch to user %s (uid %ld) to open the files",
			  pw->pw_name, (long)pw->pw_uid);
		return -1;
	}
	return 0;
}

int config_check_files(const struct config *config, const char *user,
		       void (*report)(const char *line, void *ctx), void *ctx, struct error *err)
{
	struct file_list *l = calloc(1, sizeof(*l));
	int *results = NULL, problems = -1;
	struct passwd *pw = NULL;
	char line[1200], who[80];
	size_t i;

	if (l == NULL) {
		error_set(err, "out of memory");
		goto out;
	}
	files_collect(config, l);
	results = calloc(l->count + 1, sizeof(*results));
	if (results == NULL) {
		error_set(err, "out of memory");
		goto out;
	}
	if (user != NULL) {
		errno = 0;
		pw = getpwnam(user);
		if (pw == NULL) {
			error_set(err, "--user %s: no such user", user);
			goto out;
		}
		if (geteuid() != 0 && geteuid() != pw->pw_uid) {
			error_set(
				err,
				"--user %s needs root (to switch to that user) or to be run as %s",
				user, user);
			goto out;
		}
		snprintf(who, sizeof(who), "user %s", user);
		if (files_as_user(pw, l, results, err) < 0)
			goto out;
	} else {
		snprintf(who, sizeof(who), "uid %ld", (long)geteuid());
		for (i = 0; i < l->count; i++)
			results[i] = files_try(&l->refs[i]);
	}
	problems = 0;
	for (i = 0; i < l->count; i++) {
		const struct file_ref *r = &l->refs[i];
		char at[16] = "";

		if (results[i] == 0)
			continue;
		if (r->line > 0)
			snprintf(at, sizeof(at), ":%u", r->line);
		snprintf(line, sizeof(line), "%s%s: %s: '%s' cannot be %s by %s: %s", config->path,
			 at, r->where, r->path, r->dir ? "listed" : "read", who,
			 strerror(results[i]));
		report(line, ctx);
		problems++;
	}
out:
	free(results);
	free(l);
	return problems;
}
