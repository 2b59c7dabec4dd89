import type { Metadata } from "next";

export const metadata: Metadata = { title: "Rounds" };

export default function Page() {
  return <h1>Rounds</h1>;
}
