import {
  Body,
  Button,
  Container,
  Head,
  Heading,
  Hr,
  Html,
  Link,
  Preview,
  Section,
  Text,
} from "@react-email/components";
import type { NotificationSummary } from "./summary.ts";

const styles = {
  body: { backgroundColor: "#f6f6f4", fontFamily: "system-ui, -apple-system, Segoe UI, sans-serif" },
  container: { backgroundColor: "#ffffff", margin: "24px auto", padding: "24px", maxWidth: "560px" },
  heading: { fontSize: "20px", margin: "0 0 8px" },
  title: { fontSize: "16px", fontWeight: 600, margin: "0 0 16px" },
  fact: { fontSize: "14px", margin: "2px 0", color: "#333333" },
  problem: { fontSize: "14px", color: "#a1271b" },
  excerpt: {
    fontSize: "13px",
    whiteSpace: "pre-wrap" as const,
    backgroundColor: "#f3f3f0",
    padding: "12px",
    color: "#222222",
  },
  button: {
    backgroundColor: "#1f5fd6",
    color: "#ffffff",
    padding: "10px 18px",
    borderRadius: "6px",
    fontSize: "14px",
  },
  footer: { fontSize: "12px", color: "#777777" },
};

/** One email for every kind of notification: the summary decides the words. */
export function NotificationEmail({ summary }: { summary: NotificationSummary }) {
  return (
    <Html lang="en">
      <Head />
      <Preview>{summary.subject}</Preview>
      <Body style={styles.body}>
        <Container style={styles.container}>
          <Heading style={styles.heading}>{summary.headline}</Heading>
          <Text style={styles.title}>{summary.title}</Text>
          {summary.facts.map(([label, value]) => (
            <Text key={label} style={styles.fact}>
              {label}: {value}
            </Text>
          ))}
          {summary.problem ? <Text style={styles.problem}>{summary.problem}</Text> : null}
          {summary.kept ? <Text style={styles.fact}>{summary.kept}</Text> : null}
          {summary.excerpt ? <Text style={styles.excerpt}>{summary.excerpt}</Text> : null}
          {summary.sessionUrl ? (
            <Section>
              <Button href={summary.sessionUrl} style={styles.button}>
                Open the session
              </Button>
            </Section>
          ) : null}
          <Hr />
          <Text style={styles.footer}>
            You get this because notifications are on for your account.{" "}
            <Link href={summary.settingsUrl}>Notification settings</Link>
          </Text>
        </Container>
      </Body>
    </Html>
  );
}
