// Placeholder: replaced as the Auth module lands.
internal import CCrypt
