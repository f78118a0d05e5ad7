#ifndef LOFT_COPENSSL_SHIM_H
#define LOFT_COPENSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <openssl/rand.h>
#include <openssl/bn.h>

// Function-like macros and SSL_OP_* constants that the Swift importer cannot see
// (see /work/shared/reference/swift-openssl-notes.md, section 1).

static inline uint64_t cssl_OP_NO_COMPRESSION(void) { return SSL_OP_NO_COMPRESSION; }
static inline uint64_t cssl_OP_NO_RENEGOTIATION(void) { return SSL_OP_NO_RENEGOTIATION; }
static inline uint64_t cssl_OP_CIPHER_SERVER_PREFERENCE(void) { return SSL_OP_CIPHER_SERVER_PREFERENCE; }
static inline uint64_t cssl_OP_ALL(void) { return SSL_OP_ALL; }

static inline long cssl_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_min_proto_version(ctx, version);
}
static inline long cssl_CTX_set_max_proto_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_max_proto_version(ctx, version);
}
static inline long cssl_CTX_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
static inline long cssl_MODE_RELEASE_BUFFERS(void) { return SSL_MODE_RELEASE_BUFFERS; }
static inline long cssl_CTX_add1_chain_cert(SSL_CTX *ctx, X509 *cert) { return SSL_CTX_add1_chain_cert(ctx, cert); }

typedef int (*cssl_servername_cb)(SSL *ssl, int *alert, void *arg);
static inline long cssl_CTX_set_servername_callback(SSL_CTX *ctx, cssl_servername_cb cb) {
    return SSL_CTX_set_tlsext_servername_callback(ctx, cb);
}
static inline long cssl_CTX_set_servername_arg(SSL_CTX *ctx, void *arg) {
    return SSL_CTX_set_tlsext_servername_arg(ctx, arg);
}

/// A fresh ECDSA P-256 key (EVP_EC_gen is a macro over the variadic EVP_PKEY_Q_keygen).
static inline EVP_PKEY *cssl_EC_gen_P256(void) { return EVP_EC_gen("P-256"); }
/// A fresh RSA key (EVP_RSA_gen is a macro over the variadic EVP_PKEY_Q_keygen).
static inline EVP_PKEY *cssl_RSA_gen(unsigned int bits) { return EVP_RSA_gen(bits); }

/// Adds one X.509v3 extension given in OpenSSL's config syntax ("DNS:a,IP:127.0.0.1") to a
/// self-signed certificate. Returns 1 on success.
static inline int cssl_add_self_signed_ext(X509 *cert, int nid, const char *value) {
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, cert, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    if (ext == NULL) return 0;
    int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}

// Client side (TLSClientContext / TLSClientHandler).
static inline long cssl_set_tlsext_host_name(SSL *ssl, const char *name) { return SSL_set_tlsext_host_name(ssl, name); }
static inline unsigned long cssl_DANE_FLAG_NO_DANE_EE_NAMECHECKS(void) { return DANE_FLAG_NO_DANE_EE_NAMECHECKS; }
/// A new index for per-connection data on an SSL (SSL_get_ex_new_index is a macro).
static inline int cssl_SSL_get_ex_new_index(void) { return SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL); }
/// X509_NAME_print_ex flags: RFC 2253 order and escaping, but UTF-8 text left readable
/// (what `openssl x509 -nameopt RFC2253,utf8,-esc_msb` prints).
static inline unsigned long cssl_name_print_flags(void) {
    return (XN_FLAG_RFC2253 | ASN1_STRFLGS_UTF8_CONVERT) & ~(unsigned long)ASN1_STRFLGS_ESC_MSB;
}

// ACME (RFC 8555): the CSR's subjectAltName and the RFC 8737 tls-alpn-01 certificate.
/// Adds a subjectAltName extension ("DNS:a,DNS:b") to a CSR (the STACK_OF macros are not importable).
static inline int cssl_REQ_add_subject_alt_name(X509_REQ *req, const char *value) {
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, value);
    if (ext == NULL) return 0;
    STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
    if (exts == NULL) { X509_EXTENSION_free(ext); return 0; }
    sk_X509_EXTENSION_push(exts, ext);
    int ok = X509_REQ_add_extensions(req, exts);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    return ok;
}
/// Adds a critical extension with the given OID (dotted text) and DER value to a certificate.
static inline int cssl_add_critical_ext_der(X509 *cert, const char *oid, const unsigned char *der, int length) {
    ASN1_OBJECT *object = OBJ_txt2obj(oid, 1);
    ASN1_OCTET_STRING *value = ASN1_OCTET_STRING_new();
    int ok = 0;
    if (object != NULL && value != NULL && ASN1_OCTET_STRING_set(value, der, length) == 1) {
        X509_EXTENSION *ext = X509_EXTENSION_create_by_OBJ(NULL, object, 1, value);
        if (ext != NULL) { ok = X509_add_ext(cert, ext, -1); X509_EXTENSION_free(ext); }
    }
    ASN1_OBJECT_free(object);
    ASN1_OCTET_STRING_free(value);
    return ok;
}
#endif
