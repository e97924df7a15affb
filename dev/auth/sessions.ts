import { randomBytes } from "node:crypto";
import type { Sql, TransactionSql } from "postgres";

type Db = Sql | TransactionSql;

export interface SessionRow {
  id: string;
  user_id: string;
  created_at: Date;
  not_after: Date | null;
}

export interface IssuedRefreshToken {
  session: SessionRow;
  refreshToken: string;
}

function newRefreshToken(): string {
  return randomBytes(16).toString("base64url");
}

/** Opens a session for a signed-in user with its first refresh token. Run inside a transaction. */
export async function startSession(tx: TransactionSql, userId: string): Promise<IssuedRefreshToken> {
  const [session] = await tx<SessionRow[]>`
    insert into auth.sessions (user_id) values (${userId})
    returning id, user_id, created_at, not_after`;
  if (!session) throw new Error("session insert returned no row");
  const refreshToken = newRefreshToken();
  await tx`
    insert into auth.refresh_tokens (token, user_id, session_id)
    values (${refreshToken}, ${userId}, ${session.id})`;
  return { session, refreshToken };
}

export async function findSession(sql: Db, id: string): Promise<SessionRow | undefined> {
  const [session] = await sql<SessionRow[]>`
    select id, user_id, created_at, not_after from auth.sessions where id = ${id}`;
  return session;
}

export type RotationResult =
  | { kind: "rotated"; session: SessionRow; userId: string; refreshToken: string }
  | { kind: "not_found" }
  | { kind: "session_expired" }
  | { kind: "already_used" };

/**
 * GoTrue's refresh-token grant: the presented token is revoked and a child token issued in the same
 * session. A revoked token is accepted only (a) when it is the parent of the session's active token
 * (a client that lost the previous response gets that active token back, nothing new is minted) or
 * (b) within `reuseIntervalSeconds` after it was revoked. Any other reuse is treated as theft: the
 * whole session's token family is revoked (committed) and `already_used` is returned.
 */
export async function rotateRefreshToken(
  sql: Sql,
  token: string,
  options: { reuseIntervalSeconds: number; now: Date },
): Promise<RotationResult> {
  return sql.begin(async (tx): Promise<RotationResult> => {
    // Row locks serialise concurrent refreshes of the same token/session.
    const [current] = await tx<
      { id: string; token: string; user_id: string; revoked: boolean; session: SessionRow }[]
    >`
      select rt.id, rt.token, rt.user_id, rt.revoked,
             json_build_object('id', s.id, 'user_id', s.user_id, 'created_at', s.created_at,
                               'not_after', s.not_after) as session
      from auth.refresh_tokens rt join auth.sessions s on s.id = rt.session_id
      where rt.token = ${token}
      for update of rt, s`;
    if (!current) return { kind: "not_found" };
    const session: SessionRow = {
      ...current.session,
      created_at: new Date(current.session.created_at),
      not_after: current.session.not_after ? new Date(current.session.not_after) : null,
    };
    if (session.not_after && session.not_after.getTime() <= options.now.getTime()) {
      return { kind: "session_expired" };
    }

    if (current.revoked) {
      const [active] = await tx<{ token: string; parent: string | null }[]>`
        select token, parent from auth.refresh_tokens
        where session_id = ${session.id} and not revoked
        order by id desc limit 1`;
      if (active && active.parent === current.token) {
        return { kind: "rotated", session, userId: current.user_id, refreshToken: active.token };
      }
      // The table has no revoked_at: a token is revoked when its child is created. A revoked token
      // without a child was revoked with its family (theft or logout) and is never reusable.
      const [child] = await tx<{ created_at: Date }[]>`
        select created_at from auth.refresh_tokens where parent = ${current.token} order by id limit 1`;
      const reuseUntil = child
        ? child.created_at.getTime() + options.reuseIntervalSeconds * 1000
        : Number.NEGATIVE_INFINITY;
      if (options.now.getTime() >= reuseUntil) {
        await tx`update auth.refresh_tokens set revoked = true where session_id = ${session.id}`;
        return { kind: "already_used" };
      }
    }

    await tx`update auth.refresh_tokens set revoked = true where id = ${current.id}`;
    const refreshToken = newRefreshToken();
    await tx`
      insert into auth.refresh_tokens (token, user_id, session_id, parent)
      values (${refreshToken}, ${current.user_id}, ${session.id}, ${current.token})`;
    return { kind: "rotated", session, userId: current.user_id, refreshToken };
  });
}

export type LogoutScope = "global" | "local" | "others";

/** Ends sessions as GoTrue's logout does; their refresh tokens go with them (on delete cascade). */
export async function endSessions(
  sql: Sql,
  input: { userId: string; sessionId: string | undefined; scope: LogoutScope },
): Promise<void> {
  const { userId, sessionId, scope } = input;
  if (!sessionId || scope === "global") {
    await sql`delete from auth.sessions where user_id = ${userId}`;
  } else if (scope === "local") {
    await sql`delete from auth.sessions where id = ${sessionId}`;
  } else {
    await sql`delete from auth.sessions where user_id = ${userId} and id <> ${sessionId}`;
  }
}
