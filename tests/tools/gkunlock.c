/*
 * gkunlock.c: unlock a gnome-keyring collection without a prompt (test tool).
 *
 * Usage: gkunlock COLLECTION_PATH < password
 *
 * The password is read from stdin up to EOF, byte for byte: no newline is
 * stripped, because gnome-keyring-daemon --unlock reads its password the
 * same way (feed both with printf %s).  The program then calls
 * gnome-keyring's private
 * org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface
 * .UnlockWithMasterPassword(o collection, (oayays) secret)
 * on the session bus ($DBUS_SESSION_BUS_ADDRESS).  The secret has to name a
 * Secret Service session opened on the same connection, which is why
 * neither dbus-send nor gdbus call can do this: each opens its own
 * connection and the session dies with it (keyring-notes.md §2 and §5).
 *
 * Exit status: 0 unlocked; 1 the daemon refused (a wrong password gives
 * "GDBus.Error:org.gnome.keyring.Error.Denied: The password was invalid")
 * or another D-Bus failure, with the message on stderr; 2 usage error or
 * unreadable input.
 *
 * Build by hand:
 *     gcc -std=gnu11 -O2 -Wall -Wextra -o tests/tools/gkunlock \
 *         tests/tools/gkunlock.c $(pkg-config --cflags --libs gio-2.0)
 *
 * For tests only: the password is wiped from our buffer, but GLib's copies
 * inside the GVariant and the D-Bus message are not.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#else
#define _DEFAULT_SOURCE		/* explicit_bzero() */
#endif

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>

#define GKUNLOCK_PW_MAX		4096
#define GKUNLOCK_TIMEOUT_MS	10000

#define GKUNLOCK_BUS_NAME	"org.freedesktop.secrets"
#define GKUNLOCK_SERVICE_PATH	"/org/freedesktop/secrets"
#define GKUNLOCK_SERVICE_IFACE	"org.freedesktop.Secret.Service"
#define GKUNLOCK_INTERNAL_IFACE	\
	"org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface"

static int	gkunlock_read_password(char *, size_t, size_t *);
static int	gkunlock_open_session(GDBusConnection *, char **, GError **);
static int	gkunlock_unlock(GDBusConnection *, const char *, const char *,
		    const char *, size_t, GError **);

/*
 * Reads all of stdin into buf (at most cap - 1 bytes).  Returns 0 and the
 * length in *len, or -1 on a read error or when the input is too long.
 */
static int
gkunlock_read_password(char *buf, size_t cap, size_t *len)
{
	size_t	 off = 0;
	ssize_t	 n;

	*len = 0;
	for (;;) {
		if (off >= cap - 1) {
			fprintf(stderr, "gkunlock: password longer than %zu "
			    "bytes\n", cap - 1);
			return -1;
		}
		n = read(STDIN_FILENO, buf + off, cap - 1 - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			fprintf(stderr, "gkunlock: read stdin: %s\n",
			    strerror(errno));
			return -1;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	*len = off;
	return 0;
}

/*
 * Opens a "plain" Secret Service session on conn.  On success *session
 * holds its object path (caller frees with g_free).
 */
static int
gkunlock_open_session(GDBusConnection *conn, char **session, GError **err)
{
	GVariant	*reply;

	*session = NULL;
	reply = g_dbus_connection_call_sync(conn, GKUNLOCK_BUS_NAME,
	    GKUNLOCK_SERVICE_PATH, GKUNLOCK_SERVICE_IFACE, "OpenSession",
	    g_variant_new("(sv)", "plain", g_variant_new_string("")),
	    G_VARIANT_TYPE("(vo)"), G_DBUS_CALL_FLAGS_NONE,
	    GKUNLOCK_TIMEOUT_MS, NULL, err);
	if (reply == NULL)
		return -1;
	g_variant_get(reply, "(vo)", NULL, session);
	g_variant_unref(reply);
	return 0;
}

/* Unlocks collection with the password pw (len bytes) via session. */
static int
gkunlock_unlock(GDBusConnection *conn, const char *collection,
    const char *session, const char *pw, size_t len, GError **err)
{
	GVariant	*params, *secret, *reply;

	secret = g_variant_new("(o@ay@ays)", session,
	    g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, "", 0, 1),
	    g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, pw, len, 1),
	    "text/plain");
	params = g_variant_new("(o@(oayays))", collection, secret);
	reply = g_dbus_connection_call_sync(conn, GKUNLOCK_BUS_NAME,
	    GKUNLOCK_SERVICE_PATH, GKUNLOCK_INTERNAL_IFACE,
	    "UnlockWithMasterPassword", params, NULL, G_DBUS_CALL_FLAGS_NONE,
	    GKUNLOCK_TIMEOUT_MS, NULL, err);
	if (reply == NULL)
		return -1;
	g_variant_unref(reply);
	return 0;
}

int
main(int argc, char **argv)
{
	GDBusConnection	*conn = NULL;
	GError		*err = NULL;
	char		 pw[GKUNLOCK_PW_MAX];
	char		*session = NULL;
	size_t		 len = 0;
	int		 r = 2;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: gkunlock COLLECTION_PATH < password\n");
		return 2;
	}
	if (!g_variant_is_object_path(argv[1])) {
		fprintf(stderr, "gkunlock: '%s' is not a D-Bus object path\n",
		    argv[1]);
		return 2;
	}
	if (gkunlock_read_password(pw, sizeof(pw), &len) != 0)
		goto out;

	r = 1;
	conn = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, &err);
	if (conn == NULL)
		goto out;
	if (gkunlock_open_session(conn, &session, &err) != 0)
		goto out;
	if (gkunlock_unlock(conn, argv[1], session, pw, len, &err) != 0)
		goto out;
	r = 0;
out:
	explicit_bzero(pw, sizeof(pw));
	if (err != NULL) {
		fprintf(stderr, "gkunlock: %s\n", err->message);
		g_error_free(err);
	}
	g_free(session);
	if (conn != NULL)
		g_object_unref(conn);
	return r;
}
