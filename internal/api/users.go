package api

import (
	"context"
	"net/http"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
)

type registerInput struct {
	Body struct {
		Username string `json:"username" doc:"3-32 letters, digits, _ - . ; case-insensitively unique"`
		Email    string `json:"email"`
		Password string `json:"password" format:"password" doc:"8-256 characters, not a common password"`
	}
}

type registerOutput struct {
	Location string `header:"Location"`
	Body     PrivateUser
}

// handleRegister creates an account: 201 with the private user, 409 on a
// taken username or email, 422 with every invalid field.
func handleRegister(d Deps) func(context.Context, *registerInput) (*registerOutput, error) {
	return func(ctx context.Context, in *registerInput) (*registerOutput, error) {
		u, err := d.Auth.Register(ctx, auth.Registration{
			Username: in.Body.Username, Email: in.Body.Email, Password: in.Body.Password,
		}, client(ctx, d))
		if err != nil {
			return nil, fail(ctx, err)
		}
		return &registerOutput{Location: "/api/users/" + u.ID, Body: privateUser(u)}, nil
	}
}

type userOutput struct{ Body PrivateUser }

func handleGetMe(Deps) func(context.Context, *struct{}) (*userOutput, error) {
	return func(ctx context.Context, _ *struct{}) (*userOutput, error) {
		return &userOutput{Body: privateUser(principal(ctx).User)}, nil
	}
}

type updateMeInput struct {
	Body struct {
		Username        *string `json:"username,omitempty"`
		Email           *string `json:"email,omitempty" doc:"Changing it needs current_password"`
		CurrentPassword string  `json:"current_password,omitempty" format:"password"`
	}
}

func handleUpdateMe(d Deps) func(context.Context, *updateMeInput) (*userOutput, error) {
	return func(ctx context.Context, in *updateMeInput) (*userOutput, error) {
		u, err := d.Auth.UpdateProfile(ctx, principal(ctx), auth.ProfileChange{
			Username: in.Body.Username, Email: in.Body.Email, CurrentPassword: in.Body.CurrentPassword,
		})
		if err != nil {
			return nil, fail(ctx, err)
		}
		return &userOutput{Body: privateUser(u)}, nil
	}
}

type deleteMeInput struct {
	Body struct {
		CurrentPassword string `json:"current_password" format:"password"`
	}
}

func handleDeleteMe(d Deps) func(context.Context, *deleteMeInput) (*struct{}, error) {
	return func(ctx context.Context, in *deleteMeInput) (*struct{}, error) {
		if err := d.Auth.DeleteAccount(ctx, principal(ctx), in.Body.CurrentPassword); err != nil {
			return nil, fail(ctx, err)
		}
		return nil, nil
	}
}

type changePasswordInput struct {
	Body struct {
		CurrentPassword string `json:"current_password" format:"password"`
		NewPassword     string `json:"new_password" format:"password"`
	}
}

type changePasswordOutput struct {
	SetCookie *http.Cookie `header:"Set-Cookie" doc:"A browser session's new cookie: the old value stops working"`
}

func handleChangePassword(d Deps) func(context.Context, *changePasswordInput) (*changePasswordOutput, error) {
	return func(ctx context.Context, in *changePasswordInput) (*changePasswordOutput, error) {
		p := principal(ctx)
		cookie, err := d.Auth.ChangePassword(ctx, p, in.Body.CurrentPassword, in.Body.NewPassword)
		if err != nil {
			return nil, fail(ctx, err)
		}
		out := &changePasswordOutput{}
		if cookie != "" {
			out.SetCookie = d.Cookies.Cookie(cookie, p.Session, time.Now())
		}
		return out, nil
	}
}

type idInput struct {
	ID string `path:"id"`
}

type publicUserOutput struct{ Body PublicUser }

// handleGetUser shows anyone a user's public profile; a malformed or
// unknown id is 404 alike.
func handleGetUser(d Deps) func(context.Context, *idInput) (*publicUserOutput, error) {
	return func(ctx context.Context, in *idInput) (*publicUserOutput, error) {
		u, err := d.Auth.PublicUser(ctx, in.ID)
		if err != nil {
			return nil, fail(ctx, err)
		}
		return &publicUserOutput{Body: publicUser(u)}, nil
	}
}
