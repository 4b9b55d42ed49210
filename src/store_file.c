/*
 * store_file.c: the encrypted file store (--store file).
 *
 * One file, $XDG_DATA_HOME/ld-relay-token/store (directory 0700, file
 * 0600), holding every item.  Layout (all integers big-endian):
 *
 *   offset  size  field
 *        0     9  magic "LDRTSTORE"
 *        9     1  format version (1)
 *       10     1  KDF id (1 = scrypt)
 *       11     1  log2(N)
 *       12     4  scrypt r
 *       16     4  scrypt p
 *       20    16  salt
 *       36    12  AES-256-GCM nonce (fresh on every write)
 *       48    16  key check value: SHA-256(check key)[0..16)
 *       64     4  ciphertext length
 *       68     n  ciphertext (AES-256-GCM, the 68 header bytes as AAD)
 *     68+n    16  GCM tag
 *
 * scrypt derives 64 bytes from the passphrase: the AES key and a check key.
 * The check value lets a wrong passphrase (EX_NOPERM) be told apart from a
 * tampered body (EX_DATAERR); a tampered check value reads as "wrong
 * passphrase or damaged store".  Any header that does not parse, and any
 * length that does not match the header, is EX_DATAERR "damaged".  Nothing
 * from a file that fails to authenticate is used, and a read error never
 * modifies the file.
 *
 * Plaintext: u32 count, then per item: u8 kind, then five u32-length-
 * prefixed strings (profile, api-host, relay-id, relay-name, secret); an
 * empty relay-id/relay-name means none.  It lives only in wiped buffers.
 *
 * Format version 2 adds generic git credentials (store_cred_*): kind 2,
 * then u8 presence bits (1 protocol, 2 host, 4 path, 8 username: a set
 * bit with an empty string is the empty value, a clear bit is absent),
 * then four strings (protocol, host with its port, path, username) and the
 * secret blob of store_cred_secret_encode() (may be empty).  A file is
 * written as version 1 while it holds no such item, so older programs keep
 * reading it; version 2 (refused by older programs with "has format
 * version 2") once it does.  Both versions are read.
 *
 * Writes: exclusive flock on a sibling lock file ("store.lock", 0600)
 * around read-modify-write, temp file in the same directory (O_EXCL, 0600),
 * write, fsync, rename, fsync of the directory.
 *
 * Test-only: LDRT_SCRYPT_N overrides the tuned N of a new store.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ldrt.h"
#include "secret.h"
#include "store.h"

#define SF_MAGIC	"LDRTSTORE"
#define SF_MAGIC_LEN	9
#define SF_VERSION	1		/* relay keys and API tokens only */
#define SF_VERSION_GIT	2		/* also git credentials */
#define SF_KIND_GIT	2		/* kind byte of a git credential */
#define SF_GIT_PROTOCOL	0x1
#define SF_GIT_HOST	0x2
#define SF_GIT_PATH	0x4
#define SF_GIT_USER	0x8
#define SF_KDF_SCRYPT	1
#define SF_SALT_LEN	16
#define SF_NONCE_LEN	12
#define SF_KCV_LEN	16
#define SF_TAG_LEN	16
#define SF_HDR_LEN	68
#define SF_MAX_FILE	(16 * 1024 * 1024)
#define SF_MAX_ITEMS	100000
#define SF_LOG2N_MIN	10		/* accepted when reading */
#define SF_LOG2N_MAX	20
#define SF_TUNE_MIN	14		/* chosen when creating */
#define SF_TUNE_MAX	20
#define SF_TUNE_MS	100
#define SF_R		8
#define SF_P		1
#define SF_MAX_MEM	(1100ULL * 1024 * 1024)

struct fhdr {
	unsigned	version;
	unsigned	log2n;
	uint32_t	r, p;
	unsigned char	salt[SF_SALT_LEN];
	unsigned char	nonce[SF_NONCE_LEN];
	unsigned char	kcv[SF_KCV_LEN];
	uint32_t	ctlen;
};

struct fitem {
	enum store_kind	 kind;
	int		 git;		/* a git credential (kind 2) */
	char		*profile;
	char		*api_host;
	char		*relay_id;
	char		*relay_name;
	char		*secret;	/* git: the credential blob */
	struct credential cred;		/* git: the key fields only */
};

struct fitems {
	struct fitem	*v;
	size_t		 n;
};

struct fstore {
	char		*path;
	char		*dir;
	char		*lockpath;
	char		*passfile;	/* explicit passphrase file or NULL */
	int		 interactive;
	int		 timeout;
	char		*pass;		/* cached passphrase (secret) */
	int		 have_key;	/* key valid for the params below */
	unsigned	 key_log2n;
	uint32_t	 key_r, key_p;
	unsigned char	 key_salt[SF_SALT_LEN];
	unsigned char	 key[32];
	unsigned char	 kcv[SF_KCV_LEN];
};

/* ---- paths ---- */





/* ---- small helpers ---- */

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int
streq0(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

static void
fitem_clear(struct fitem *it)
{
	free(it->profile);
	free(it->api_host);
	free(it->relay_id);
	free(it->relay_name);
	secret_free(it->secret);
	credential_release(&it->cred);
	memset(it, 0, sizeof(*it));
}

static void
fitems_clear(struct fitems *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		fitem_clear(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int
key_matches(const struct fitem *it, const struct store_key *k)
{
	if (it->git)
		return 0;
	if (it->kind != k->kind || !streq0(it->profile, k->profile) ||
	    !streq0(it->api_host, k->api_host))
		return 0;
	return k->kind != STORE_RELAY_KEY || streq0(it->relay_id, k->relay_id);
}

static int
pattern_matches(const struct fitem *it, const struct store_key *k)
{
	if (it->git)
		return 0;
	if (k == NULL)
		return 1;
	if (it->kind != k->kind)
		return 0;
	if (k->profile != NULL && !streq0(it->profile, k->profile))
		return 0;
	if (k->api_host != NULL && !streq0(it->api_host, k->api_host))
		return 0;
	if (k->relay_id != NULL && !streq0(it->relay_id, k->relay_id))
		return 0;
	return 1;
}

/* ---- serialization ---- */

static size_t
ser_str_len(const char *s)
{
	return 4 + (s != NULL ? strlen(s) : 0);
}

static unsigned char *
ser_str(unsigned char *p, const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	put32(p, (uint32_t)n);
	if (n > 0)
		memcpy(p + 4, s, n);
	return p + 4 + n;
}

static unsigned char *
ser_git(unsigned char *p, const struct fitem *it)
{
	const struct credential *c = &it->cred;

	*p++ = SF_KIND_GIT;
	*p++ = (unsigned char)((c->protocol != NULL ? SF_GIT_PROTOCOL : 0) |
	    (c->host != NULL ? SF_GIT_HOST : 0) |
	    (c->path != NULL ? SF_GIT_PATH : 0) |
	    (c->username != NULL ? SF_GIT_USER : 0));
	p = ser_str(p, c->protocol);
	p = ser_str(p, c->host);
	p = ser_str(p, c->path);
	p = ser_str(p, c->username);
	return ser_str(p, it->secret);
}

/* 1 if l holds a git credential (the file must then be version 2). */
static int
has_git(const struct fitems *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].git)
			return 1;
	return 0;
}

/* A wiped-on-free buffer holding the serialized items. */
static unsigned char *
ser_items(const struct fitems *l, size_t *lenp)
{
	unsigned char *buf, *p;
	size_t i, len = 4;

	for (i = 0; i < l->n; i++)
		len += l->v[i].git ? 2 + ser_str_len(l->v[i].cred.protocol) +
		    ser_str_len(l->v[i].cred.host) +
		    ser_str_len(l->v[i].cred.path) +
		    ser_str_len(l->v[i].cred.username) +
		    ser_str_len(l->v[i].secret) :
		    1 + ser_str_len(l->v[i].profile) +
		    ser_str_len(l->v[i].api_host) +
		    ser_str_len(l->v[i].relay_id) +
		    ser_str_len(l->v[i].relay_name) +
		    ser_str_len(l->v[i].secret);
	buf = xmalloc(len);
	put32(buf, (uint32_t)l->n);
	p = buf + 4;
	for (i = 0; i < l->n; i++) {
		if (l->v[i].git) {
			p = ser_git(p, &l->v[i]);
			continue;
		}
		*p++ = (unsigned char)l->v[i].kind;
		p = ser_str(p, l->v[i].profile);
		p = ser_str(p, l->v[i].api_host);
		p = ser_str(p, l->v[i].relay_id);
		p = ser_str(p, l->v[i].relay_name);
		p = ser_str(p, l->v[i].secret);
	}
	*lenp = len;
	return buf;
}

/* Reads one string; *out NULL for an empty one unless keep_empty. */
static int
de_str(const unsigned char *buf, size_t len, size_t *off, int secret,
    char **out)
{
	uint32_t n;

	*out = NULL;
	if (len - *off < 4)
		return -1;
	n = get32(buf + *off);
	*off += 4;
	if (n > len - *off || memchr(buf + *off, '\0', n) != NULL)
		return -1;
	if (n > 0)
		*out = secret ? secret_strndup((const char *)buf + *off, n) :
		    xstrndup((const char *)buf + *off, n);
	*off += n;
	return 0;
}

/* A string of a git item: absent unless its presence bit is set. */
static int
de_git_str(const unsigned char *buf, size_t len, size_t *off,
    unsigned bits, unsigned bit, char **out)
{
	if (de_str(buf, len, off, 0, out) != 0)
		return -1;
	if ((bits & bit) == 0) {
		if (*out != NULL) {
			free(*out);
			*out = NULL;
			return -1;
		}
		return 0;
	}
	if (*out == NULL)
		*out = xstrdup("");
	return 0;
}

static int
de_git(const unsigned char *buf, size_t len, size_t *off, struct fitem *it)
{
	unsigned bits;

	it->git = 1;
	credential_init(&it->cred);
	if (*off >= len)
		return -1;
	bits = buf[(*off)++];
	if ((bits & ~0xfu) != 0 ||
	    de_git_str(buf, len, off, bits, SF_GIT_PROTOCOL,
	    &it->cred.protocol) != 0 ||
	    de_git_str(buf, len, off, bits, SF_GIT_HOST, &it->cred.host) != 0 ||
	    de_git_str(buf, len, off, bits, SF_GIT_PATH, &it->cred.path) != 0 ||
	    de_git_str(buf, len, off, bits, SF_GIT_USER,
	    &it->cred.username) != 0 ||
	    de_str(buf, len, off, 1, &it->secret) != 0)
		return -1;
	if (it->secret == NULL)
		it->secret = secret_strdup("");
	return 0;
}

static int
de_items(const unsigned char *buf, size_t len, unsigned version,
    struct fitems *l)
{
	struct fitem *it;
	uint32_t count, i;
	size_t off = 4;

	l->v = NULL;
	l->n = 0;
	if (len < 4)
		return -1;
	count = get32(buf);
	if (count > SF_MAX_ITEMS || count > (len - 4) / 21)
		return -1;
	l->v = xcalloc(count, sizeof(*l->v));
	for (i = 0; i < count; i++) {
		it = &l->v[i];
		l->n = i + 1;
		if (off < len && buf[off] == SF_KIND_GIT &&
		    version >= SF_VERSION_GIT) {
			off++;
			if (de_git(buf, len, &off, it) != 0)
				goto bad;
			continue;
		}
		if (off >= len || buf[off] > STORE_RELAY_KEY)
			goto bad;
		it->kind = (enum store_kind)buf[off++];
		if (de_str(buf, len, &off, 0, &it->profile) != 0 ||
		    de_str(buf, len, &off, 0, &it->api_host) != 0 ||
		    de_str(buf, len, &off, 0, &it->relay_id) != 0 ||
		    de_str(buf, len, &off, 0, &it->relay_name) != 0 ||
		    de_str(buf, len, &off, 1, &it->secret) != 0 ||
		    it->secret == NULL)
			goto bad;
	}
	l->n = count;
	if (off != len)
		goto bad;
	return 0;
 bad:
	fitems_clear(l);
	return -1;
}

/* ---- header ---- */

static void
hdr_encode(const struct fhdr *h, unsigned char *b)
{
	memcpy(b, SF_MAGIC, SF_MAGIC_LEN);
	b[9] = (unsigned char)(h->version != 0 ? h->version : SF_VERSION);
	b[10] = SF_KDF_SCRYPT;
	b[11] = (unsigned char)h->log2n;
	put32(b + 12, h->r);
	put32(b + 16, h->p);
	memcpy(b + 20, h->salt, SF_SALT_LEN);
	memcpy(b + 36, h->nonce, SF_NONCE_LEN);
	memcpy(b + 48, h->kcv, SF_KCV_LEN);
	put32(b + 64, h->ctlen);
}

static int
hdr_decode(const unsigned char *b, size_t flen, const char *path,
    struct fhdr *h, struct ldrt_err *e)
{
	if (flen < SF_HDR_LEN + SF_TAG_LEN ||
	    memcmp(b, SF_MAGIC, SF_MAGIC_LEN) != 0)
		return err_set(e, EX_DATAERR, "store file '%s' is damaged "
		    "(truncated or not a store)", path);
	if (b[9] != SF_VERSION && b[9] != SF_VERSION_GIT)
		return err_set(e, EX_DATAERR, "store file '%s' has format "
		    "version %u; this program reads versions %u and %u", path,
		    (unsigned)b[9], SF_VERSION, SF_VERSION_GIT);
	h->version = b[9];
	h->log2n = b[11];
	h->r = get32(b + 12);
	h->p = get32(b + 16);
	memcpy(h->salt, b + 20, SF_SALT_LEN);
	memcpy(h->nonce, b + 36, SF_NONCE_LEN);
	memcpy(h->kcv, b + 48, SF_KCV_LEN);
	h->ctlen = get32(b + 64);
	if (b[10] != SF_KDF_SCRYPT || h->log2n < SF_LOG2N_MIN ||
	    h->log2n > SF_LOG2N_MAX || h->r < 1 || h->r > 32 || h->p < 1 ||
	    h->p > 16 ||
	    128ULL * h->r * ((1ULL << h->log2n) + h->p + 2) > SF_MAX_MEM)
		return err_set(e, EX_DATAERR, "store file '%s' is damaged "
		    "(bad key derivation parameters)", path);
	if ((size_t)h->ctlen != flen - SF_HDR_LEN - SF_TAG_LEN)
		return err_set(e, EX_DATAERR, "store file '%s' is damaged "
		    "(truncated or not a store)", path);
	return 0;
}

/* ---- crypto ---- */

static int
sf_scrypt(const char *pass, const unsigned char *salt, unsigned log2n,
    uint32_t r, uint32_t p, unsigned char out[64])
{
	uint64_t maxmem = 128ULL * r * ((1ULL << log2n) + p + 2) +
	    (1 << 20);

	return EVP_PBE_scrypt(pass, strlen(pass), salt, SF_SALT_LEN,
	    1ULL << log2n, r, p, maxmem, out, 64) == 1 ? 0 : -1;
}

/* Derives key and check value for h's parameters (cached). */
static int
sf_derive(struct fstore *fs, const struct fhdr *h, struct ldrt_err *e)
{
	unsigned char out[64], dg[32];
	unsigned int dl = sizeof(dg);

	if (fs->have_key && fs->key_log2n == h->log2n && fs->key_r == h->r &&
	    fs->key_p == h->p &&
	    memcmp(fs->key_salt, h->salt, SF_SALT_LEN) == 0)
		return 0;
	fs->have_key = 0;
	if (sf_scrypt(fs->pass, h->salt, h->log2n, h->r, h->p, out) != 0) {
		secret_wipe(out, sizeof(out));
		return err_set(e, EX_SOFTWARE, "scrypt key derivation failed "
		    "(N=2^%u r=%u p=%u)", h->log2n, (unsigned)h->r,
		    (unsigned)h->p);
	}
	if (EVP_Digest(out + 32, 32, dg, &dl, EVP_sha256(), NULL) != 1) {
		secret_wipe(out, sizeof(out));
		return err_set(e, EX_SOFTWARE, "sha-256 failed");
	}
	memcpy(fs->key, out, 32);
	memcpy(fs->kcv, dg, SF_KCV_LEN);
	secret_wipe(out, sizeof(out));
	fs->key_log2n = h->log2n;
	fs->key_r = h->r;
	fs->key_p = h->p;
	memcpy(fs->key_salt, h->salt, SF_SALT_LEN);
	fs->have_key = 1;
	return 0;
}

static double
sf_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* log2(N) for a new store: LDRT_SCRYPT_N if set (tests), else measured so
 * that one derivation takes about SF_TUNE_MS here. */
static unsigned
sf_tune_log2n(void)
{
	const char *env = getenv("LDRT_SCRYPT_N");
	unsigned char salt[SF_SALT_LEN] = { 0 }, out[64];
	unsigned long long n;
	unsigned l;
	double t;
	char *end;

	if (env != NULL && env[0] != '\0') {
		errno = 0;
		n = strtoull(env, &end, 10);
		if (errno == 0 && *end == '\0' && n != 0 &&
		    (n & (n - 1)) == 0) {
			for (l = 0; (1ULL << l) < n; l++)
				;
			if (l >= SF_LOG2N_MIN && l <= SF_LOG2N_MAX)
				return l;
		}
	}
	t = sf_now_ms();
	if (sf_scrypt("calibration", salt, SF_TUNE_MIN, SF_R, SF_P, out) != 0)
		return SF_TUNE_MIN;
	t = sf_now_ms() - t;
	l = SF_TUNE_MIN;
	while (l < SF_TUNE_MAX && t * 2 <= SF_TUNE_MS * 1.25) {
		l++;
		t *= 2;
	}
	return l;
}

static int
sf_encrypt(const unsigned char key[32], const unsigned char *hdr,
    const unsigned char *nonce, const unsigned char *pt, size_t ptlen,
    unsigned char *ct, unsigned char *tag)
{
	EVP_CIPHER_CTX *c;
	int ok = 0, l;

	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	if (EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, SF_NONCE_LEN,
	    NULL) != 1 ||
	    EVP_EncryptInit_ex(c, NULL, NULL, key, nonce) != 1 ||
	    EVP_EncryptUpdate(c, NULL, &l, hdr, SF_HDR_LEN) != 1 ||
	    (ptlen > 0 &&
	    EVP_EncryptUpdate(c, ct, &l, pt, (int)ptlen) != 1) ||
	    EVP_EncryptFinal_ex(c, ct + ptlen, &l) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, SF_TAG_LEN,
	    tag) != 1)
		goto out;
	ok = 1;
 out:
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

static int
sf_decrypt(const unsigned char key[32], const unsigned char *hdr,
    const unsigned char *nonce, const unsigned char *ct, size_t ctlen,
    const unsigned char *tag, unsigned char *pt)
{
	unsigned char tagc[SF_TAG_LEN];
	EVP_CIPHER_CTX *c;
	int ok = 0, l;

	memcpy(tagc, tag, SF_TAG_LEN);
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	if (EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, SF_NONCE_LEN,
	    NULL) != 1 ||
	    EVP_DecryptInit_ex(c, NULL, NULL, key, nonce) != 1 ||
	    EVP_DecryptUpdate(c, NULL, &l, hdr, SF_HDR_LEN) != 1 ||
	    (ctlen > 0 &&
	    EVP_DecryptUpdate(c, pt, &l, ct, (int)ctlen) != 1) ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, SF_TAG_LEN,
	    tagc) != 1 ||
	    EVP_DecryptFinal_ex(c, pt + ctlen, &l) != 1)
		goto out;
	ok = 1;
 out:
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

/* ---- passphrase ---- */

static int
sf_get_pass(struct fstore *fs, int creating, struct ldrt_err *e)
{
	const char *pf;
	char *cred = NULL, *again = NULL;
	struct stat st;
	int r = -1;

	if (fs->pass != NULL)
		return 0;
	pf = fs->passfile;
	if (pf == NULL && (pf = getenv("LDRT_PASSPHRASE_FILE")) != NULL &&
	    pf[0] == '\0')
		pf = NULL;
	if (pf != NULL) {
		r = secret_read_file(pf, "passphrase file", 1, &fs->pass, e);
		goto out;
	}
	if ((cred = store_file_credential_path()) != NULL && stat(cred, &st) == 0) {
		r = secret_read_file(cred, "passphrase credential", 1,
		    &fs->pass, e);
		goto out;
	}
	if (!fs->interactive) {
		err_set(e, EX_NOPERM, "no passphrase for the file store (set "
		    "LDRT_PASSPHRASE_FILE or a systemd credential named "
		    "'%s')", STORE_FILE_PASS_CRED);
		goto out;
	}
	if (secret_prompt(creating ? "New passphrase for the ld-relay-token "
	    "store: " : "Passphrase for the ld-relay-token store: ",
	    &fs->pass, e) != 0)
		goto out;
	if (creating) {
		if (secret_prompt("Repeat the passphrase: ", &again, e) != 0)
			goto out;
		if (strcmp(again, fs->pass) != 0) {
			err_set(e, EX_DATAERR, "passphrases do not match");
			goto out;
		}
	}
	r = 0;
 out:
	if (r == 0 && fs->pass[0] == '\0') {
		err_set(e, EX_DATAERR, "empty passphrase for the file store");
		r = -1;
	}
	if (r != 0) {
		secret_free(fs->pass);
		fs->pass = NULL;
	}
	secret_free(again);
	free(cred);
	return r;
}

/* ---- locking and files ---- */

static int
sf_mkdirs(const char *dir, struct ldrt_err *e)
{
	char *p = xstrdup(dir), *s;
	int r = -1, end;

	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		end = *s == '\0';
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST) {
			err_set(e, EX_CANTCREAT, "cannot create directory "
			    "'%s': %s", p, strerror(errno));
			goto out;
		}
		if (end)
			break;
		*s = '/';
	}
	r = 0;
 out:
	free(p);
	return r;
}

/* Locks the store (LOCK_SH or LOCK_EX), waiting at most fs->timeout
 * seconds.  Returns the lock fd, or -1. */
static int
sf_lock(struct fstore *fs, int how, struct ldrt_err *e)
{
	double deadline;
	int fd;

	fd = open(fs->lockpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd < 0)
		return err_set(e, EX_CANTCREAT, "lock file '%s': %s",
		    fs->lockpath, strerror(errno));
	deadline = sf_now_ms() + 1000.0 * (fs->timeout > 0 ? fs->timeout : 10);
	for (;;) {
		if (flock(fd, how | LOCK_NB) == 0)
			return fd;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			err_set(e, EX_IOERR, "lock file '%s': %s",
			    fs->lockpath, strerror(errno));
			break;
		}
		if (sf_now_ms() >= deadline) {
			err_set(e, EX_TEMPFAIL, "store file '%s' is locked by "
			    "another process", fs->path);
			break;
		}
		usleep(20000);
	}
	close(fd);
	return -1;
}

static void
sf_unlock(int fd)
{
	if (fd >= 0)
		close(fd);	/* releases the flock */
}

/*
 * Loads and decrypts the store into *l.  STORE_ABSENT (l empty) if there is
 * no file; -1 on any error (the file is never modified here).  *hdrp gets
 * the header of the file that was read.
 */
static int
sf_load(struct fstore *fs, struct fitems *l, struct fhdr *hdrp,
    struct ldrt_err *e)
{
	unsigned char *buf = NULL, *pt = NULL;
	struct fhdr h;
	struct stat st;
	size_t len = 0;
	ssize_t n;
	int fd, r = -1, oerrno;

	l->v = NULL;
	l->n = 0;
	fd = open(fs->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		oerrno = errno;
		if (oerrno == ENOENT)
			return STORE_ABSENT;
		if (oerrno == ELOOP)
			return err_set(e, EX_NOPERM, "store file '%s' is a "
			    "symbolic link", fs->path);
		return err_set(e, oerrno == EACCES ? EX_NOPERM : EX_IOERR,
		    "store file '%s': %s", fs->path, strerror(oerrno));
	}
	if (fstat(fd, &st) != 0) {
		err_set(e, EX_IOERR, "store file '%s': %s", fs->path,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set(e, EX_DATAERR, "store file '%s' is not a regular "
		    "file", fs->path);
		goto out;
	}
	if (st.st_uid != geteuid()) {
		err_set(e, EX_NOPERM, "store file '%s' is owned by uid %u, "
		    "not by the caller", fs->path, (unsigned)st.st_uid);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		err_set(e, EX_NOPERM, "store file '%s' has mode %04o; must "
		    "not be readable by group or others", fs->path,
		    (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (st.st_size > SF_MAX_FILE) {
		err_set(e, EX_DATAERR, "store file '%s' is damaged (too "
		    "large)", fs->path);
		goto out;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (len < (size_t)st.st_size + 1) {
		n = read(fd, buf + len, (size_t)st.st_size + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set(e, EX_IOERR, "store file '%s': %s", fs->path,
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (hdr_decode(buf, len, fs->path, &h, e) != 0)
		goto out;
	if (sf_get_pass(fs, 0, e) != 0 || sf_derive(fs, &h, e) != 0)
		goto out;
	if (CRYPTO_memcmp(fs->kcv, h.kcv, SF_KCV_LEN) != 0) {
		err_set(e, EX_NOPERM, "wrong passphrase or damaged store "
		    "file '%s'", fs->path);
		goto out;
	}
	pt = xmalloc((size_t)h.ctlen + 16);
	if (sf_decrypt(fs->key, buf, h.nonce, buf + SF_HDR_LEN, h.ctlen,
	    buf + SF_HDR_LEN + h.ctlen, pt) != 0) {
		err_set(e, EX_DATAERR, "store file '%s' is damaged "
		    "(authentication failed)", fs->path);
		goto out;
	}
	if (de_items(pt, h.ctlen, h.version, l) != 0) {
		err_set(e, EX_DATAERR, "store file '%s' is damaged (bad "
		    "contents)", fs->path);
		goto out;
	}
	if (hdrp != NULL)
		*hdrp = h;
	r = 0;
 out:
	if (pt != NULL) {
		secret_wipe(pt, (size_t)h.ctlen + 16);
		free(pt);
	}
	free(buf);
	close(fd);
	return r;
}

static int
write_all(int fd, const unsigned char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Encrypts l and replaces the store file atomically.  *hdr holds the KDF
 * parameters (a new store: set by the caller); a fresh nonce is drawn. */
static int
sf_save(struct fstore *fs, const struct fitems *l, struct fhdr *h,
    struct ldrt_err *e)
{
	unsigned char hdr[SF_HDR_LEN], *pt = NULL, *out = NULL;
	size_t ptlen = 0, outlen;
	char *tmp = NULL;
	int fd = -1, dfd, r = -1, oerrno;

	if (sf_derive(fs, h, e) != 0)
		goto out;
	if (RAND_bytes(h->nonce, SF_NONCE_LEN) != 1) {
		err_set(e, EX_SOFTWARE, "no random bytes for the nonce");
		goto out;
	}
	memcpy(h->kcv, fs->kcv, SF_KCV_LEN);
	h->version = has_git(l) ? SF_VERSION_GIT : SF_VERSION;
	pt = ser_items(l, &ptlen);
	if (ptlen > SF_MAX_FILE - SF_HDR_LEN - SF_TAG_LEN) {
		err_set(e, EX_DATAERR, "store would exceed %d bytes",
		    SF_MAX_FILE);
		goto out;
	}
	h->ctlen = (uint32_t)ptlen;
	hdr_encode(h, hdr);
	outlen = SF_HDR_LEN + ptlen + SF_TAG_LEN;
	out = xmalloc(outlen + 16);
	memcpy(out, hdr, SF_HDR_LEN);
	if (sf_encrypt(fs->key, hdr, h->nonce, pt, ptlen, out + SF_HDR_LEN,
	    out + SF_HDR_LEN + ptlen) != 0) {
		err_set(e, EX_SOFTWARE, "aes-256-gcm encryption failed");
		goto out;
	}
	tmp = xasprintf("%s/.store.XXXXXX", fs->dir);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		err_set(e, EX_CANTCREAT, "cannot create a temporary file in "
		    "'%s': %s", fs->dir, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (fchmod(fd, 0600) != 0 || write_all(fd, out, outlen) != 0 ||
	    fsync(fd) != 0) {
		oerrno = errno;
		err_set(e, EX_IOERR, "cannot write '%s': %s", tmp,
		    strerror(oerrno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		err_set(e, EX_IOERR, "cannot write '%s': %s", tmp,
		    strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, fs->path) != 0) {
		err_set(e, EX_IOERR, "cannot rename '%s' to '%s': %s", tmp,
		    fs->path, strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	if ((dfd = open(fs->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		if (fsync(dfd) != 0 && errno != EINVAL) {
			err_set(e, EX_IOERR, "cannot sync directory '%s': %s",
			    fs->dir, strerror(errno));
			close(dfd);
			goto out;
		}
		close(dfd);
	}
	r = 0;
 out:
	if (fd >= 0)
		close(fd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	if (pt != NULL) {
		secret_wipe(pt, ptlen);
		free(pt);
	}
	if (out != NULL) {
		secret_wipe(out, outlen);
		free(out);
	}
	return r;
}

/* Parameters for a new store: fresh salt, tuned N. */
static int
sf_new_header(struct fstore *fs, struct fhdr *h, struct ldrt_err *e)
{
	memset(h, 0, sizeof(*h));
	if (sf_get_pass(fs, 1, e) != 0)
		return -1;
	if (RAND_bytes(h->salt, SF_SALT_LEN) != 1)
		return err_set(e, EX_SOFTWARE, "no random bytes for the salt");
	h->log2n = sf_tune_log2n();
	h->r = SF_R;
	h->p = SF_P;
	return 0;
}

/* ---- operations ---- */

static struct fstore *
fs_of(struct store *s)
{
	return s->priv;
}

static int
sf_exists(const struct fstore *fs)
{
	struct stat st;

	return lstat(fs->path, &st) == 0;
}

static int
sf_get(struct store *s, const struct store_key *k, char **secret,
    struct ldrt_err *e)
{
	struct fstore *fs = fs_of(s);
	struct fitems l = { NULL, 0 };
	size_t i;
	int lfd = -1, r;

	*secret = NULL;
	if (!sf_exists(fs))
		return STORE_ABSENT;
	if ((lfd = sf_lock(fs, LOCK_SH, e)) < 0)
		return -1;
	if ((r = sf_load(fs, &l, NULL, e)) != 0)
		goto out;
	r = STORE_ABSENT;
	for (i = 0; i < l.n; i++)
		if (key_matches(&l.v[i], k)) {
			*secret = secret_strdup(l.v[i].secret);
			r = 0;
			break;
		}
 out:
	fitems_clear(&l);
	sf_unlock(lfd);
	return r;
}

static char *
dup0(const char *s)
{
	return s != NULL && s[0] != '\0' ? xstrdup(s) : NULL;
}

static int
sf_put(struct store *s, const struct store_key *k, const char *secret,
    struct ldrt_err *e)
{
	struct fstore *fs = fs_of(s);
	struct fitems l = { NULL, 0 };
	struct fitem *it = NULL;
	struct fhdr h;
	size_t i;
	int lfd = -1, r = -1, lr;

	if (secret == NULL || secret[0] == '\0')
		return err_set(e, EX_DATAERR, "refusing to store an empty "
		    "secret");
	if (sf_mkdirs(fs->dir, e) != 0)
		return -1;
	if ((lfd = sf_lock(fs, LOCK_EX, e)) < 0)
		return -1;
	if ((lr = sf_load(fs, &l, &h, e)) == -1)
		goto out;
	if (lr == STORE_ABSENT && sf_new_header(fs, &h, e) != 0)
		goto out;
	for (i = 0; i < l.n; i++)
		if (key_matches(&l.v[i], k)) {
			it = &l.v[i];
			break;
		}
	if (it == NULL) {
		l.v = xrealloc(l.v, (l.n + 1) * sizeof(*l.v));
		it = &l.v[l.n++];
		memset(it, 0, sizeof(*it));
		it->kind = k->kind;
		it->profile = dup0(k->profile);
		it->api_host = dup0(k->api_host);
		if (k->kind == STORE_RELAY_KEY)
			it->relay_id = dup0(k->relay_id);
	}
	if (k->kind == STORE_RELAY_KEY && k->relay_name != NULL) {
		free(it->relay_name);
		it->relay_name = dup0(k->relay_name);
	}
	secret_free(it->secret);
	it->secret = secret_strdup(secret);
	r = sf_save(fs, &l, &h, e);
 out:
	fitems_clear(&l);
	sf_unlock(lfd);
	return r;
}

static int
sf_del(struct store *s, const struct store_key *k, struct ldrt_err *e)
{
	struct fstore *fs = fs_of(s);
	struct fitems l = { NULL, 0 };
	struct fhdr h;
	size_t i, j;
	int lfd = -1, r;

	if (!sf_exists(fs))
		return STORE_ABSENT;
	if ((lfd = sf_lock(fs, LOCK_EX, e)) < 0)
		return -1;
	if ((r = sf_load(fs, &l, &h, e)) != 0)
		goto out;
	for (i = j = 0; i < l.n; i++) {
		if (key_matches(&l.v[i], k))
			fitem_clear(&l.v[i]);
		else
			l.v[j++] = l.v[i];
	}
	if (j == l.n) {
		r = STORE_ABSENT;
		goto out;
	}
	l.n = j;
	r = sf_save(fs, &l, &h, e);
 out:
	fitems_clear(&l);
	sf_unlock(lfd);
	return r;
}

static int
sf_list(struct store *s, const struct store_key *pat,
    struct store_item **items, size_t *np, struct ldrt_err *e)
{
	struct fstore *fs = fs_of(s);
	struct fitems l = { NULL, 0 };
	struct store_item *v = NULL;
	size_t i, n = 0;
	int lfd = -1, r;

	*items = NULL;
	*np = 0;
	if (!sf_exists(fs))
		return 0;
	if ((lfd = sf_lock(fs, LOCK_SH, e)) < 0)
		return -1;
	if ((r = sf_load(fs, &l, NULL, e)) != 0)
		goto out;
	v = xcalloc(l.n, sizeof(*v));
	for (i = 0; i < l.n; i++) {
		if (l.v[i].git || !pattern_matches(&l.v[i], pat))
			continue;
		v[n].kind = l.v[i].kind;
		v[n].profile = dup0(l.v[i].profile);
		v[n].api_host = dup0(l.v[i].api_host);
		v[n].relay_id = dup0(l.v[i].relay_id);
		v[n].relay_name = dup0(l.v[i].relay_name);
		n++;
	}
	*items = v;
	*np = n;
	v = NULL;
 out:
	fitems_clear(&l);
	sf_unlock(lfd);
	free(v);
	return r;
}

/* ---- generic git credentials ---- */

/* The stored credential of a git item: key fields borrowed from it, so
 * never release *have. */
static void
sf_git_have(const struct fitem *it, struct credential *have)
{
	*have = it->cred;
}

/* Constant-time equality of two strings (NULL equals nothing). */
static int
sf_str_eq_ct(const char *a, const char *b)
{
	size_t n;

	if (a == NULL || b == NULL || (n = strlen(a)) != strlen(b))
		return 0;
	return CRYPTO_memcmp(a, b, n) == 0;
}

static int
sf_cred_get(struct store *s, const struct credential *want,
    struct credential *out, struct ldrt_err *e)
{
	struct fstore *fs = fs_of(s);
	struct fitems l = { NULL, 0 };
	struct credential have;
	size_t i;
	int lfd = -1, r;

	if (!sf_exists(fs))
		return STORE_ABSENT;
	if ((lfd = sf_lock(fs, LOCK_SH, e)) < 0)
		return -1;
	if ((r = sf_load(fs, &l, NULL, e)) != 0)
		goto out;
	r = STORE_ABSENT;
	for (i = 0; i < l.n; i++) {
		if (!l.v[i].git)
			continue;
		sf_git_have(&l.v[i], &have);
		if (!credential_match(want, &have, 0))
			continue;
		out->protocol = l.v[i].cred.protocol;
		out->host = l.v[i].cred.host;
		out->path = l.v[i].cred.path;
		out->username = l.v[i].cred.username;
		memset(&l.v[i].cred, 0, sizeof(l.v[i].cred));
		store_cred_secret_decode(l.v[i].secret, out);
		r = 0;
		break;
	}
 out:
	fitems_clear(&l);
	sf_unlock(lfd);
	return r;
}

static int
sf_cred_put(struct store *s, const struct credential *c,
    struct ldrt_err *e)
{
	struct fstore *fs = fs_of(s);
	struct fitems l = { NULL, 0 };
	struct fitem *it = NULL;
	struct credential have;
	struct fhdr h;
	char *blob;
	size_t i;
	int lfd = -1, r = -1, lr;

	if ((blob = store_cred_secret_encode(c)) == NULL)
		return err_set(e, EX_DATAERR, "git credential value contains "
		    "a newline");
	if (sf_mkdirs(fs->dir, e) != 0)
		goto out;
	if ((lfd = sf_lock(fs, LOCK_EX, e)) < 0)
		goto out;
	if ((lr = sf_load(fs, &l, &h, e)) == -1)
		goto out;
	if (lr == STORE_ABSENT && sf_new_header(fs, &h, e) != 0)
		goto out;
	for (i = 0; i < l.n; i++) {
		if (!l.v[i].git)
			continue;
		sf_git_have(&l.v[i], &have);
		if (store_cred_same_key(c, &have)) {
			it = &l.v[i];
			break;
		}
	}
	if (it == NULL) {
		l.v = xrealloc(l.v, (l.n + 1) * sizeof(*l.v));
		it = &l.v[l.n++];
		memset(it, 0, sizeof(*it));
		it->git = 1;
		credential_init(&it->cred);
		it->cred.protocol = c->protocol != NULL ?
		    xstrdup(c->protocol) : NULL;
		it->cred.host = c->host != NULL ? xstrdup(c->host) : NULL;
		it->cred.path = c->path != NULL ? xstrdup(c->path) : NULL;
		it->cred.username = c->username != NULL ?
		    xstrdup(c->username) : NULL;
	}
	secret_free(it->secret);
	it->secret = blob;
	blob = NULL;
	r = sf_save(fs, &l, &h, e);
 out:
	secret_free(blob);
	fitems_clear(&l);
	sf_unlock(lfd);
	return r;
}

static int
sf_cred_erase(struct store *s, const struct credential *want,
    struct ldrt_err *e)
{
	struct fstore *fs = fs_of(s);
	struct fitems l = { NULL, 0 };
	struct credential have, pw = CREDENTIAL_INIT;
	struct fhdr h;
	size_t i, j;
	int lfd = -1, r, drop;

	if (!sf_exists(fs))
		return STORE_ABSENT;
	if ((lfd = sf_lock(fs, LOCK_EX, e)) < 0)
		return -1;
	if ((r = sf_load(fs, &l, &h, e)) != 0)
		goto out;
	for (i = j = 0; i < l.n; i++) {
		drop = 0;
		if (l.v[i].git) {
			sf_git_have(&l.v[i], &have);
			drop = credential_match(want, &have, 0);
			if (drop && want->password != NULL) {
				store_cred_secret_decode(l.v[i].secret, &pw);
				drop = sf_str_eq_ct(pw.password,
				    want->password);
				credential_clear(&pw);
			}
		}
		if (drop)
			fitem_clear(&l.v[i]);
		else
			l.v[j++] = l.v[i];
	}
	if (j == l.n) {
		r = STORE_ABSENT;
		goto out;
	}
	l.n = j;
	r = sf_save(fs, &l, &h, e);
 out:
	credential_release(&pw);
	fitems_clear(&l);
	sf_unlock(lfd);
	return r;
}

/* Moves item it's key fields and decoded secret into *out. */
static void
sf_git_take(struct fitem *it, struct credential *out)
{
	credential_init(out);
	out->protocol = it->cred.protocol;
	out->host = it->cred.host;
	out->path = it->cred.path;
	out->username = it->cred.username;
	memset(&it->cred, 0, sizeof(it->cred));
	store_cred_secret_decode(it->secret, out);
}

static int
sf_cred_list(struct store *s, const struct credential *want,
    struct credential **outp, size_t *np, struct ldrt_err *e)
{
	struct fstore *fs = fs_of(s);
	struct fitems l = { NULL, 0 };
	struct credential have, *v = NULL;
	size_t i, n = 0;
	int lfd = -1, r;

	*outp = NULL;
	*np = 0;
	if (!sf_exists(fs))
		return 0;
	if ((lfd = sf_lock(fs, LOCK_SH, e)) < 0)
		return -1;
	if ((r = sf_load(fs, &l, NULL, e)) != 0) {
		if (r == STORE_ABSENT)
			r = 0;	/* removed since sf_exists() */
		goto out;
	}
	v = xcalloc(l.n + 1, sizeof(*v));
	for (i = 0; i < l.n; i++) {
		if (!l.v[i].git)
			continue;
		sf_git_have(&l.v[i], &have);
		if (want != NULL && !credential_match(want, &have, 0))
			continue;
		sf_git_take(&l.v[i], &v[n++]);
	}
	if (n > 0) {
		*outp = v;
		*np = n;
		v = NULL;
	}
 out:
	store_creds_free(v, n);
	fitems_clear(&l);
	sf_unlock(lfd);
	return r;
}

static void
sf_close(struct store *s)
{
	struct fstore *fs = fs_of(s);

	if (fs == NULL)
		return;
	secret_free(fs->pass);
	secret_wipe(fs->key, sizeof(fs->key));
	free(fs->path);
	free(fs->dir);
	free(fs->lockpath);
	free(fs->passfile);
	free(fs);
	s->priv = NULL;
}

static const struct store_ops store_file_ops = {
	"file", sf_get, sf_put, sf_del, sf_list, sf_close,
	sf_cred_get, sf_cred_put, sf_cred_erase, sf_cred_list
};

int
store_file_open(const struct store_opts *o, struct store *s,
    struct ldrt_err *e)
{
	struct fstore *fs;
	char *slash;

	fs = xcalloc(1, sizeof(*fs));
	fs->path = o->file_path != NULL ? xstrdup(o->file_path) :
	    store_file_default_path();
	if (fs->path[0] != '/' || (slash = strrchr(fs->path, '/')) == NULL ||
	    slash[1] == '\0') {
		err_set(e, EX_CONFIG, "store file path '%s' must be an "
		    "absolute file name", fs->path);
		free(fs->path);
		free(fs);
		return -1;
	}
	fs->dir = slash == fs->path ? xstrdup("/") :
	    xstrndup(fs->path, (size_t)(slash - fs->path));
	fs->lockpath = xasprintf("%s.lock", fs->path);
	fs->passfile = o->passphrase_file != NULL ?
	    xstrdup(o->passphrase_file) : NULL;
	fs->interactive = o->interactive;
	fs->timeout = o->timeout;
	s->ops = &store_file_ops;
	s->priv = fs;
	return 0;
}
