package api

import (
	"context"
	"strings"

	"github.com/latchkey/latchkey/internal/auth"
)

// Accepted is the answer to every request for mail: the same body whether
// or not the address has an account, so that it tells nobody which do.
type Accepted struct {
	Message string `json:"message" example:"If the address belongs to an account, a message is on its way."`
}

type acceptedOutput struct{ Body Accepted }

func accepted() *acceptedOutput {
	return &acceptedOutput{Body: Accepted{Message: "If the address belongs to an account, a message is on its way."}}
}

// handleResendVerification mails the caller a new verification link.
func handleResendVerification(d Deps) func(context.Context, *struct{}) (*acceptedOutput, error) {
	return func(ctx context.Context, _ *struct{}) (*acceptedOutput, error) {
		if err := d.Auth.ResendVerification(ctx, principal(ctx), client(ctx, d)); err != nil {
			return nil, fail(ctx, err)
		}
		return accepted(), nil
	}
}

type passwordResetInput struct {
	Body struct {
		Email string `json:"email" format:"email"`
	}
}

// handlePasswordReset mails a reset link, if the address has an account.
func handlePasswordReset(d Deps) func(context.Context, *passwordResetInput) (*acceptedOutput, error) {
	return func(ctx context.Context, in *passwordResetInput) (*acceptedOutput, error) {
		if err := d.Auth.RequestPasswordReset(ctx, in.Body.Email, client(ctx, d)); err != nil {
			return nil, fail(ctx, err)
		}
		return accepted(), nil
	}
}

type passwordResetConfirmInput struct {
	Body struct {
		Token        string `json:"token" doc:"The token= of the link in the reset mail"`
		NewPassword  string `json:"new_password" format:"password" doc:"8-256 characters, not a common password"`
		OTP          string `json:"otp,omitempty" doc:"With two-step verification on: the code the authenticator app shows (or send recovery_code)"`
		RecoveryCode string `json:"recovery_code,omitempty" doc:"With two-step verification on: one of the recovery codes, instead of otp"`
	}
}

// handlePasswordResetConfirm sets a new password with a reset link's
// token: 204; 400 invalid_token for a dead link; 422 for a password the
// rules refuse, or a missing or wrong second factor, which leaves the
// link good.
func handlePasswordResetConfirm(d Deps) func(context.Context, *passwordResetConfirmInput) (*struct{}, error) {
	return func(ctx context.Context, in *passwordResetConfirmInput) (*struct{}, error) {
		if _, err := d.Auth.ResetPassword(ctx, in.Body.Token, in.Body.NewPassword,
			auth.SecondFactor{Code: in.Body.OTP, RecoveryCode: in.Body.RecoveryCode}, client(ctx, d)); err != nil {
			return nil, fail(ctx, err)
		}
		return nil, nil
	}
}

type loginLinkInput struct {
	Body struct {
		Email string `json:"email" format:"email"`
		Next  string `json:"next,omitempty" doc:"A local path to open after signing in from the link's page"`
	}
}

// handleLoginLink mails a sign-in link, if the address has an account.
// A next that is not a local path is dropped, as everywhere.
func handleLoginLink(d Deps) func(context.Context, *loginLinkInput) (*acceptedOutput, error) {
	return func(ctx context.Context, in *loginLinkInput) (*acceptedOutput, error) {
		if err := d.Auth.RequestLoginLink(ctx, in.Body.Email, localPath(in.Body.Next), client(ctx, d)); err != nil {
			return nil, fail(ctx, err)
		}
		return accepted(), nil
	}
}

// localPath keeps next only if it is a path on this site; the sign-in
// link's page checks it again, as it checks every next, before it
// redirects to it.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\x00\r\n") {
		return ""
	}
	return next
}
