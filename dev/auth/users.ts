import type { Sql, TransactionSql } from "postgres";

type Db = Sql | TransactionSql;

/** The `auth.users` columns the stand-in reads. */
export interface UserRow {
  id: string;
  aud: string;
  role: string;
  email: string | null;
  phone: string | null;
  email_confirmed_at: Date | null;
  raw_app_meta_data: Record<string, unknown>;
  raw_user_meta_data: Record<string, unknown>;
  last_sign_in_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const userColumns = (sql: Db) =>
  sql`id, aud, role, email, phone, email_confirmed_at, raw_app_meta_data, raw_user_meta_data,
      last_sign_in_at, created_at, updated_at`;

export async function findUserById(sql: Db, id: string): Promise<UserRow | undefined> {
  const [user] = await sql<UserRow[]>`select ${userColumns(sql)} from auth.users where id = ${id}`;
  return user;
}

/**
 * The user with this email if the password matches (bcrypt via pgcrypto, as GoTrue stores it),
 * `"wrong_password"` if it does not, undefined if there is no such user.
 */
export async function findUserByPassword(
  sql: Db,
  email: string,
  password: string,
): Promise<UserRow | "wrong_password" | undefined> {
  const [row] = await sql<(UserRow & { password_ok: boolean })[]>`
    select ${userColumns(sql)},
           coalesce(encrypted_password = crypt(${password}, encrypted_password), false) as password_ok
    from auth.users
    where lower(email) = lower(${email}) and aud = 'authenticated'`;
  if (!row) return undefined;
  const { password_ok, ...user } = row;
  return password_ok ? user : "wrong_password";
}

/**
 * Creates an auto-confirmed email user; undefined when the email is taken. Credits are not granted
 * here: the app grants SIGNUP_CREDITS itself (a trigger only creates the profile).
 */
export async function insertConfirmedUser(
  sql: Db,
  input: { email: string; password: string; userMetadata: Record<string, unknown> },
): Promise<UserRow | undefined> {
  const [user] = await sql<UserRow[]>`
    insert into auth.users (email, encrypted_password, email_confirmed_at, raw_user_meta_data)
    values (${input.email}, crypt(${input.password}, gen_salt('bf', 10)), now(),
            ${sql.json(input.userMetadata as Parameters<typeof sql.json>[0])})
    on conflict (email) do nothing
    returning ${userColumns(sql)}`;
  return user;
}

export async function recordSignIn(sql: Db, userId: string): Promise<UserRow> {
  const [user] = await sql<UserRow[]>`
    update auth.users set last_sign_in_at = now(), updated_at = now()
    where id = ${userId}
    returning ${userColumns(sql)}`;
  if (!user) throw new Error(`user ${userId} vanished while signing in`);
  return user;
}

/** The user object GoTrue returns (`models.User` JSON), with the email identity it would hold. */
export function toGoTrueUser(user: UserRow): Record<string, unknown> {
  const identityData = {
    email: user.email,
    email_verified: user.email_confirmed_at !== null,
    phone_verified: false,
    sub: user.id,
  };
  return {
    id: user.id,
    aud: user.aud,
    role: user.role,
    email: user.email ?? "",
    email_confirmed_at: user.email_confirmed_at,
    phone: user.phone ?? "",
    confirmed_at: user.email_confirmed_at,
    last_sign_in_at: user.last_sign_in_at,
    app_metadata: user.raw_app_meta_data,
    user_metadata: user.raw_user_meta_data,
    identities: [
      {
        identity_id: user.id,
        id: user.id,
        user_id: user.id,
        identity_data: identityData,
        provider: "email",
        last_sign_in_at: user.last_sign_in_at ?? user.created_at,
        created_at: user.created_at,
        updated_at: user.updated_at,
        email: user.email,
      },
    ],
    created_at: user.created_at,
    updated_at: user.updated_at,
    is_anonymous: false,
  };
}
