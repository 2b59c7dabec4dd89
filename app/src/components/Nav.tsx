"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";

export const pages = [
  { href: "/", label: "Overview" },
  { href: "/organisations", label: "Organisations" },
  { href: "/devices", label: "Devices" },
  { href: "/tasks", label: "Tasks & models" },
  { href: "/rounds", label: "Rounds" },
  { href: "/reputation", label: "Reputation" },
  { href: "/twins", label: "Twins" },
  { href: "/audit", label: "Audit" },
] as const;

export function Nav() {
  const pathname = usePathname();
  const isCurrent = (href: string) => (href === "/" ? pathname === "/" : pathname === href || pathname.startsWith(`${href}/`));
  return (
    <nav aria-label="Main" className="nav">
      <ul>
        {pages.map((page) => (
          <li key={page.href}>
            <Link href={page.href} prefetch={false} aria-current={isCurrent(page.href) ? "page" : undefined}>{page.label}</Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}
