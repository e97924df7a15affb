import { SessionList } from "./components/session-list.tsx";

export default function HomePage() {
  return <SessionList />;
}
