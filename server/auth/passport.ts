// Sign-in with passport-local (email + password), without sessions: the route turns the
// verified user into tokens. The strategy delegates to the LoginGuard (lockout, timing).
import type { Request, Response } from 'express';
import passport from 'passport';
import passportLocal from 'passport-local';
import type { UserRecord } from '../../db/user-repository.js';
import { invalidCredentials, type LoginGuard } from './login-guard.js';

type Authenticator = InstanceType<typeof passport.Passport>;

export function localAuthenticator(guard: LoginGuard): Authenticator {
  const authenticator = new passport.Passport();
  authenticator.use(
    'local',
    new passportLocal.Strategy({ usernameField: 'email', passwordField: 'password', passReqToCallback: true, session: false }, (req, email, password, done) => {
      guard.check(email, password, { ip: req.ip, requestId: req.id === undefined ? undefined : String(req.id) }).then(
        (user) => done(null, user ?? false),
        (err: unknown) => done(err),
      );
    }),
  );
  return authenticator;
}

/** Run the local strategy on the request: the user, or a thrown 401 / 423. */
export function signIn(authenticator: Authenticator, req: Request, res: Response): Promise<UserRecord> {
  return new Promise((resolve, reject) => {
    const middleware = authenticator.authenticate('local', { session: false }, (err: unknown, user: Express.User | false | undefined) => {
      if (err) reject(err);
      else if (!user) reject(invalidCredentials());
      else resolve(user as UserRecord);
    }) as (req: Request, res: Response, next: (err?: unknown) => void) => void;
    middleware(req, res, (err) => reject(err ?? invalidCredentials()));
  });
}
