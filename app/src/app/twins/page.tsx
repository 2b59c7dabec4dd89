import type { Metadata } from "next";

export const metadata: Metadata = { title: "Twins" };

export default function Page() {
  return <h1>Twins</h1>;
}
