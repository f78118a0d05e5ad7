// Placeholder: replaced as the MailStore module lands.
