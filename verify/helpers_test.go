package verify_test

const (
	issuer   = "https://latchkey.example"
	audience = "https://api.example"
)
