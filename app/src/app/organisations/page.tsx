import type { Metadata } from "next";

export const metadata: Metadata = { title: "Organisations" };

export default function Page() {
  return <h1>Organisations</h1>;
}
