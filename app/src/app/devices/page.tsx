import type { Metadata } from "next";

export const metadata: Metadata = { title: "Devices" };

export default function Page() {
  return <h1>Devices</h1>;
}
