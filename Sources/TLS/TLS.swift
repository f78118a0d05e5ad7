// Placeholder: replaced as the TLS module lands.
internal import COpenSSL
