import { SignedInOnly } from "../components/signed-in-only.tsx";
import { NotificationSettings } from "./notification-settings.tsx";

export default function SettingsPage() {
  return (
    <SignedInOnly>
      <NotificationSettings />
    </SignedInOnly>
  );
}
