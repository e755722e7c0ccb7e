package api

import (
	"context"

	"github.com/latchkey/latchkey/internal/auth"
)

// Two-step verification for apps (DESIGN.md, "Second factor and
// passkeys"): the same steps as the account page, as JSON.

// TOTPEnrolment is a secret waiting for its first code.
type TOTPEnrolment struct {
	Secret     string `json:"secret" doc:"The TOTP secret in base32, for typing into an authenticator app"`
	OTPAuthURL string `json:"otpauth_url" doc:"The otpauth:// URL a QR code carries"`
}

type totpBeginInput struct {
	Body struct {
		CurrentPassword string `json:"current_password" format:"password"`
	}
}

type totpBeginOutput struct{ Body TOTPEnrolment }

// handleTOTPBegin starts enrolment: 200 with the secret, not yet on.
func handleTOTPBegin(d Deps) func(context.Context, *totpBeginInput) (*totpBeginOutput, error) {
	return func(ctx context.Context, in *totpBeginInput) (*totpBeginOutput, error) {
		en, err := d.Auth.BeginTOTP(ctx, principal(ctx), in.Body.CurrentPassword)
		if err != nil {
			return nil, fail(ctx, err)
		}
		return &totpBeginOutput{Body: TOTPEnrolment{Secret: en.Secret, OTPAuthURL: en.URL}}, nil
	}
}

// RecoveryCodes are shown once: only their hashes are kept.
type RecoveryCodes struct {
	RecoveryCodes []string `json:"recovery_codes" doc:"Ten single-use codes for when the phone is lost; shown only now"`
}

type recoveryCodesOutput struct{ Body RecoveryCodes }

type totpConfirmInput struct {
	Body struct {
		Code string `json:"code" doc:"The code the authenticator app shows now"`
	}
}

// handleTOTPConfirm turns two-step verification on with a current code.
func handleTOTPConfirm(d Deps) func(context.Context, *totpConfirmInput) (*recoveryCodesOutput, error) {
	return func(ctx context.Context, in *totpConfirmInput) (*recoveryCodesOutput, error) {
		codes, err := d.Auth.ConfirmTOTP(ctx, principal(ctx), in.Body.Code)
		if err != nil {
			return nil, fail(ctx, err)
		}
		return &recoveryCodesOutput{Body: RecoveryCodes{RecoveryCodes: codes}}, nil
	}
}

// handleNewRecoveryCodes replaces the recovery codes.
func handleNewRecoveryCodes(d Deps) func(context.Context, *totpBeginInput) (*recoveryCodesOutput, error) {
	return func(ctx context.Context, in *totpBeginInput) (*recoveryCodesOutput, error) {
		codes, err := d.Auth.NewRecoveryCodes(ctx, principal(ctx), in.Body.CurrentPassword)
		if err != nil {
			return nil, fail(ctx, err)
		}
		return &recoveryCodesOutput{Body: RecoveryCodes{RecoveryCodes: codes}}, nil
	}
}

type totpDisableInput struct {
	Body struct {
		CurrentPassword string `json:"current_password" format:"password"`
		Code            string `json:"code" doc:"The code the authenticator app shows now, or a recovery code"`
	}
}

// handleTOTPDisable turns two-step verification off: 204.
func handleTOTPDisable(d Deps) func(context.Context, *totpDisableInput) (*struct{}, error) {
	return func(ctx context.Context, in *totpDisableInput) (*struct{}, error) {
		err := d.Auth.DisableTOTP(ctx, principal(ctx), in.Body.CurrentPassword, auth.SecondFactor{Code: in.Body.Code})
		if err != nil {
			return nil, fail(ctx, err)
		}
		return nil, nil
	}
}

// handleAdminResetMFA turns a user's two-step verification off: 204.
func handleAdminResetMFA(d Deps) func(context.Context, *idInput) (*struct{}, error) {
	return func(ctx context.Context, in *idInput) (*struct{}, error) {
		id, err := userID(in.ID)
		if err == nil {
			_, err = d.Auth.ResetMFA(ctx, principal(ctx), id)
		}
		if err != nil {
			return nil, fail(ctx, err)
		}
		return nil, nil
	}
}
