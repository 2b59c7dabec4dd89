import type { Metadata } from "next";

export const metadata: Metadata = { title: "Reputation" };

export default function Page() {
  return <h1>Reputation</h1>;
}
