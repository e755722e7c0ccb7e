package auth

import "context"

// The admin's look-ups of one user by id, for the admin API and pages.
// Unlike FindUser, which also takes an e-mail or a username as an operator
// types them, these take only an id: a path segment is never read as a
// name, and a malformed one is not found without a trip to the database.

// UserOverview is the user with the id as an admin sees them, with when
// they were last seen, the same as UsersPage lists them; ErrNotFound for
// an id that is malformed or unknown.
func (s *Service) UserOverview(ctx context.Context, id string) (*UserOverview, error) {
	if !WellFormedID(id) {
		return nil, ErrNotFound
	}
	list, err := s.store.ListUsers(ctx, UserQuery{ID: id, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, ErrNotFound
	}
	return list[0], nil
}

// UserSessionsPage is a page of the live sessions of the user with the id,
// paged as SessionsPage pages the caller's own; ErrNotFound for an id that
// is malformed or unknown.
func (s *Service) UserSessionsPage(ctx context.Context, id, cursor string, limit int) (page []*Session, nextCursor string, err error) {
	if !WellFormedID(id) {
		return nil, "", ErrNotFound
	}
	u, err := s.store.UserByID(ctx, id)
	if err != nil {
		return nil, "", err
	}
	return s.SessionsPage(ctx, &Principal{User: u}, cursor, limit)
}
