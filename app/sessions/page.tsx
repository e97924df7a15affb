import { SessionList } from "../components/session-list.tsx";

/** The same list as the home page, at the address the session pages sit under. */
export default function SessionsPage() {
  return <SessionList />;
}
