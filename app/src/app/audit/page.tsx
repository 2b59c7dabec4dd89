import type { Metadata } from "next";

export const metadata: Metadata = { title: "Audit" };

export default function Page() {
  return <h1>Audit</h1>;
}
